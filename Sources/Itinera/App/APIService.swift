import ItineraAPI

/// The generated API protocol, answered by the controller of each capability.
struct APIService: APIProtocol {
    let health: HealthController
    let tenancy: TenancyController
    let sessions: SessionController

    func getHealth(_ input: Operations.GetHealth.Input) async throws -> Operations.GetHealth.Output {
        try await health.getHealth(input)
    }

    func getReadiness(_ input: Operations.GetReadiness.Input) async throws -> Operations.GetReadiness.Output {
        try await health.getReadiness(input)
    }

    func signUp(_ input: Operations.SignUp.Input) async throws -> Operations.SignUp.Output {
        try await tenancy.signUp(input)
    }

    func createSession(_ input: Operations.CreateSession.Input) async throws -> Operations.CreateSession.Output {
        try await sessions.createSession(input)
    }

    func deleteCurrentSession(
        _ input: Operations.DeleteCurrentSession.Input
    ) async throws -> Operations.DeleteCurrentSession.Output {
        try await sessions.deleteCurrentSession(input)
    }

    func getTenant(_ input: Operations.GetTenant.Input) async throws -> Operations.GetTenant.Output {
        try await tenancy.getTenant(input)
    }

    func updateTenant(_ input: Operations.UpdateTenant.Input) async throws -> Operations.UpdateTenant.Output {
        try await tenancy.updateTenant(input)
    }
}
