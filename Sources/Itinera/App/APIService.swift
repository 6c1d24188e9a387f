import ItineraAPI

/// The generated API protocol, answered by the controller of each capability.
struct APIService: APIProtocol {
    let health: HealthController
    let tenancy: TenancyController
    let sessions: SessionController
    let users: UserController
    let apiKeys: APIKeyController
    let audit: AuditController
    let platform: PlatformController

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

    func acceptInvitation(_ input: Operations.AcceptInvitation.Input) async throws -> Operations.AcceptInvitation.Output
    {
        try await users.acceptInvitation(input)
    }

    func listUsers(_ input: Operations.ListUsers.Input) async throws -> Operations.ListUsers.Output {
        try await users.listUsers(input)
    }

    func inviteUser(_ input: Operations.InviteUser.Input) async throws -> Operations.InviteUser.Output {
        try await users.inviteUser(input)
    }

    func updateUser(_ input: Operations.UpdateUser.Input) async throws -> Operations.UpdateUser.Output {
        try await users.updateUser(input)
    }

    func deleteUser(_ input: Operations.DeleteUser.Input) async throws -> Operations.DeleteUser.Output {
        try await users.deleteUser(input)
    }

    func listApiKeys(_ input: Operations.ListApiKeys.Input) async throws -> Operations.ListApiKeys.Output {
        try await apiKeys.listApiKeys(input)
    }

    func createApiKey(_ input: Operations.CreateApiKey.Input) async throws -> Operations.CreateApiKey.Output {
        try await apiKeys.createApiKey(input)
    }

    func revokeApiKey(_ input: Operations.RevokeApiKey.Input) async throws -> Operations.RevokeApiKey.Output {
        try await apiKeys.revokeApiKey(input)
    }

    func listAuditEvents(_ input: Operations.ListAuditEvents.Input) async throws -> Operations.ListAuditEvents.Output {
        try await audit.listAuditEvents(input)
    }

    func listPlatformTenants(_ input: Operations.ListPlatformTenants.Input) async throws
        -> Operations.ListPlatformTenants.Output
    {
        try await platform.listPlatformTenants(input)
    }

    func suspendTenant(_ input: Operations.SuspendTenant.Input) async throws -> Operations.SuspendTenant.Output {
        try await platform.suspendTenant(input)
    }

    func resumeTenant(_ input: Operations.ResumeTenant.Input) async throws -> Operations.ResumeTenant.Output {
        try await platform.resumeTenant(input)
    }

    func exportTenant(_ input: Operations.ExportTenant.Input) async throws -> Operations.ExportTenant.Output {
        try await platform.exportTenant(input)
    }

    func deleteTenant(_ input: Operations.DeleteTenant.Input) async throws -> Operations.DeleteTenant.Output {
        try await platform.deleteTenant(input)
    }

    func restoreTenant(_ input: Operations.RestoreTenant.Input) async throws -> Operations.RestoreTenant.Output {
        try await platform.restoreTenant(input)
    }
}
