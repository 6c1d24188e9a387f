import ItineraAPI

/// The operations `PlatformController` answers.
extension APIService {
    func listPlatformTenants(_ input: Operations.ListPlatformTenants.Input) async throws
        -> Operations.ListPlatformTenants.Output
    {
        try await controllers(PlatformController.self).listPlatformTenants(input)
    }

    func suspendTenant(_ input: Operations.SuspendTenant.Input) async throws -> Operations.SuspendTenant.Output {
        try await controllers(PlatformController.self).suspendTenant(input)
    }

    func resumeTenant(_ input: Operations.ResumeTenant.Input) async throws -> Operations.ResumeTenant.Output {
        try await controllers(PlatformController.self).resumeTenant(input)
    }

    func exportTenant(_ input: Operations.ExportTenant.Input) async throws -> Operations.ExportTenant.Output {
        try await controllers(PlatformController.self).exportTenant(input)
    }

    func deleteTenant(_ input: Operations.DeleteTenant.Input) async throws -> Operations.DeleteTenant.Output {
        try await controllers(PlatformController.self).deleteTenant(input)
    }

    func restoreTenant(_ input: Operations.RestoreTenant.Input) async throws -> Operations.RestoreTenant.Output {
        try await controllers(PlatformController.self).restoreTenant(input)
    }
}
