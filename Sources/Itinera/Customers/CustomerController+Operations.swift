import ItineraAPI

/// The operations `CustomerController` answers.
extension APIService {
    func createCustomer(_ input: Operations.CreateCustomer.Input) async throws -> Operations.CreateCustomer.Output {
        try await controllers(CustomerController.self).createCustomer(input)
    }

    func listCustomers(_ input: Operations.ListCustomers.Input) async throws -> Operations.ListCustomers.Output {
        try await controllers(CustomerController.self).listCustomers(input)
    }

    func getCustomer(_ input: Operations.GetCustomer.Input) async throws -> Operations.GetCustomer.Output {
        try await controllers(CustomerController.self).getCustomer(input)
    }

    func updateCustomer(_ input: Operations.UpdateCustomer.Input) async throws -> Operations.UpdateCustomer.Output {
        try await controllers(CustomerController.self).updateCustomer(input)
    }

    func eraseCustomer(_ input: Operations.EraseCustomer.Input) async throws -> Operations.EraseCustomer.Output {
        try await controllers(CustomerController.self).eraseCustomer(input)
    }

    func mergeCustomers(_ input: Operations.MergeCustomers.Input) async throws -> Operations.MergeCustomers.Output {
        try await controllers(CustomerController.self).mergeCustomers(input)
    }

    func getCustomerTimeline(_ input: Operations.GetCustomerTimeline.Input) async throws
        -> Operations.GetCustomerTimeline.Output
    {
        try await controllers(CustomerController.self).getCustomerTimeline(input)
    }

    func recomputeRfm(_ input: Operations.RecomputeRfm.Input) async throws -> Operations.RecomputeRfm.Output {
        try await controllers(CustomerController.self).recomputeRfm(input)
    }
}
