import ItineraAPI

/// The operations `TagController` answers.
extension APIService {
    func listTags(_ input: Operations.ListTags.Input) async throws -> Operations.ListTags.Output {
        try await controllers(TagController.self).listTags(input)
    }

    func createTag(_ input: Operations.CreateTag.Input) async throws -> Operations.CreateTag.Output {
        try await controllers(TagController.self).createTag(input)
    }

    func getTag(_ input: Operations.GetTag.Input) async throws -> Operations.GetTag.Output {
        try await controllers(TagController.self).getTag(input)
    }

    func deleteTag(_ input: Operations.DeleteTag.Input) async throws -> Operations.DeleteTag.Output {
        try await controllers(TagController.self).deleteTag(input)
    }

    func listCustomerTags(_ input: Operations.ListCustomerTags.Input) async throws -> Operations.ListCustomerTags.Output
    {
        try await controllers(TagController.self).listCustomerTags(input)
    }

    func tagCustomer(_ input: Operations.TagCustomer.Input) async throws -> Operations.TagCustomer.Output {
        try await controllers(TagController.self).tagCustomer(input)
    }

    func untagCustomer(_ input: Operations.UntagCustomer.Input) async throws -> Operations.UntagCustomer.Output {
        try await controllers(TagController.self).untagCustomer(input)
    }
}
