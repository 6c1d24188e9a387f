import ItineraAPI

/// The operations `APIKeyController` answers.
extension APIService {
    func listApiKeys(_ input: Operations.ListApiKeys.Input) async throws -> Operations.ListApiKeys.Output {
        try await controllers(APIKeyController.self).listApiKeys(input)
    }

    func createApiKey(_ input: Operations.CreateApiKey.Input) async throws -> Operations.CreateApiKey.Output {
        try await controllers(APIKeyController.self).createApiKey(input)
    }

    func revokeApiKey(_ input: Operations.RevokeApiKey.Input) async throws -> Operations.RevokeApiKey.Output {
        try await controllers(APIKeyController.self).revokeApiKey(input)
    }
}
