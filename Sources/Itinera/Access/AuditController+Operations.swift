import ItineraAPI

/// The operations `AuditController` answers.
extension APIService {
    func listAuditEvents(_ input: Operations.ListAuditEvents.Input) async throws -> Operations.ListAuditEvents.Output {
        try await controllers(AuditController.self).listAuditEvents(input)
    }
}
