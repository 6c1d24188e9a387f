import ItineraAPI

/// The operations `ImportController` answers.
extension APIService {
    func createImport(_ input: Operations.CreateImport.Input) async throws -> Operations.CreateImport.Output {
        try await controllers(ImportController.self).createImport(input)
    }

    func getImport(_ input: Operations.GetImport.Input) async throws -> Operations.GetImport.Output {
        try await controllers(ImportController.self).getImport(input)
    }
}
