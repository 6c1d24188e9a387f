import ItineraAPI

/// The operations `SessionController` answers.
extension APIService {
    func createSession(_ input: Operations.CreateSession.Input) async throws -> Operations.CreateSession.Output {
        try await controllers(SessionController.self).createSession(input)
    }

    func deleteCurrentSession(
        _ input: Operations.DeleteCurrentSession.Input
    ) async throws -> Operations.DeleteCurrentSession.Output {
        try await controllers(SessionController.self).deleteCurrentSession(input)
    }
}
