import Foundation
import ItineraAPI
import Logging

/// The platform operator's view of every tenant: `/v1/platform/...`. `AccessMiddleware` has checked
/// the operator token before any of these run.
struct PlatformController: Sendable {
    let store: PlatformStore
    let archive: TenantArchive
    let migrations: MigrationSet
    let logger: Logger

    func listPlatformTenants(_ input: Operations.ListPlatformTenants.Input) async throws
        -> Operations.ListPlatformTenants.Output
    {
        let page = try PageRequest(limit: input.query.limit, cursor: input.query.cursor)
        let tenants = try await store.list(after: page.after?.first ?? "", limit: page.limit + 1)
        let shown = tenants.prefix(page.limit)
        let next = tenants.count > page.limit ? PageRequest.cursor([shown.last!.slug]) : nil
        return .ok(.init(body: .json(.init(items: shown.map(\.api), nextCursor: next))))
    }

    func suspendTenant(_ input: Operations.SuspendTenant.Input) async throws -> Operations.SuspendTenant.Output {
        .ok(.init(body: .json(try await store.setState(.suspended, of: store.tenant(input.path.id)).api)))
    }

    func resumeTenant(_ input: Operations.ResumeTenant.Input) async throws -> Operations.ResumeTenant.Output {
        .ok(.init(body: .json(try await store.setState(.active, of: store.tenant(input.path.id)).api)))
    }

    func exportTenant(_ input: Operations.ExportTenant.Input) async throws -> Operations.ExportTenant.Output {
        let tenant = try await store.tenant(input.path.id)
        return .created(.init(body: .json(try await archive.export(tenant).api)))
    }

    func deleteTenant(_ input: Operations.DeleteTenant.Input) async throws -> Operations.DeleteTenant.Output {
        let tenant = try await store.tenant(input.path.id)
        guard input.query.confirm == tenant.slug else {
            throw Problem.invalidField("confirm", "confirm must repeat the tenant's slug, '\(tenant.slug)'.")
        }
        // Suspended first, so nothing changes between the export and the drop.
        _ = try await store.setState(.suspended, of: tenant)
        let summary = try await archive.export(tenant)
        try await store.drop(tenant)
        logger.notice("Tenant deleted", metadata: ["tenant": "\(tenant.slug)", "archive": "\(summary.archive)"])
        return .ok(.init(body: .json(summary.api)))
    }

    func restoreTenant(_ input: Operations.RestoreTenant.Input) async throws -> Operations.RestoreTenant.Output {
        guard case .json(let body) = input.body else { throw Problem.malformedBody("Expected a JSON body.") }
        let tenant = try await archive.restore(
            archive: body.archive, slug: body.slug, tenantName: body.name, migrations: migrations)
        return .created(.init(body: .json(try await store.row(tenant.id).api)))
    }
}
