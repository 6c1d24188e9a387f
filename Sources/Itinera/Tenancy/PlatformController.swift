import Foundation
import ItineraAPI
import Logging
import PostgresNIO

/// The platform operator's view of every tenant: `/v1/platform/...`. `AccessMiddleware` has checked
/// the operator token before any of these run.
struct PlatformController: Sendable {
    let client: PostgresClient
    let archive: TenantArchive
    let migrations: MigrationSet
    let logger: Logger

    func listPlatformTenants(_ input: Operations.ListPlatformTenants.Input) async throws
        -> Operations.ListPlatformTenants.Output
    {
        let page = try PageRequest(limit: input.query.limit, cursor: input.query.cursor)
        let after = page.after?.first ?? ""
        let rows = try await client.query(
            """
            SELECT \(unescaped: PlatformTenantRow.columns) FROM itinera.tenants t
            WHERE t.slug > \(after) ORDER BY t.slug LIMIT \(page.limit + 1)
            """,
            logger: logger
        )
        var tenants: [PlatformTenantRow] = []
        for try await row in rows { tenants.append(try PlatformTenantRow(row)) }
        let shown = tenants.prefix(page.limit)
        return .ok(
            .init(
                body: .json(
                    .init(
                        items: shown.map(\.api),
                        nextCursor: tenants.count > page.limit ? PageRequest.cursor([shown.last!.slug]) : nil
                    )
                )
            )
        )
    }

    func suspendTenant(_ input: Operations.SuspendTenant.Input) async throws -> Operations.SuspendTenant.Output {
        .ok(.init(body: .json(try await setState(.suspended, of: find(input.path.id)).api)))
    }

    func resumeTenant(_ input: Operations.ResumeTenant.Input) async throws -> Operations.ResumeTenant.Output {
        .ok(.init(body: .json(try await setState(.active, of: find(input.path.id)).api)))
    }

    func exportTenant(_ input: Operations.ExportTenant.Input) async throws -> Operations.ExportTenant.Output {
        let tenant = try await find(input.path.id)
        return .created(.init(body: .json(try await archive.export(tenant).api)))
    }

    func deleteTenant(_ input: Operations.DeleteTenant.Input) async throws -> Operations.DeleteTenant.Output {
        let tenant = try await find(input.path.id)
        guard input.query.confirm == tenant.slug else {
            throw Problem.invalidField("confirm", "confirm must repeat the tenant's slug, '\(tenant.slug)'.")
        }
        // Suspended first, so nothing changes between the export and the drop.
        _ = try await setState(.suspended, of: tenant)
        let summary = try await archive.export(tenant)
        try await client.transaction(logger: logger) { connection in
            try await connection.execute("DELETE FROM itinera.tenants WHERE id = \(tenant.id)", logger: logger)
            try await connection.runScript(
                """
                SET LOCAL ROLE itinera_tenant_owner;
                DROP SCHEMA \(tenant.identity.schema) CASCADE;
                RESET ROLE;
                DROP ROLE \(tenant.identity.role);
                """,
                logger: logger
            )
        }
        logger.notice("Tenant deleted", metadata: ["tenant": "\(tenant.slug)", "archive": "\(summary.archive)"])
        return .ok(.init(body: .json(summary.api)))
    }

    func restoreTenant(_ input: Operations.RestoreTenant.Input) async throws -> Operations.RestoreTenant.Output {
        guard case .json(let body) = input.body else { throw Problem.malformedBody("Expected a JSON body.") }
        let tenant = try await archive.restore(
            archive: body.archive, slug: body.slug, tenantName: body.name, migrations: migrations)
        return .created(.init(body: .json(try await row(tenant.id).api)))
    }

    /// The tenant, or 404.
    func find(_ id: String) async throws -> Tenant {
        if let uuid = UUID(uuidString: id) {
            let rows = try await client.query(
                "SELECT \(unescaped: TenantStore.tenantColumns) FROM itinera.tenants t WHERE t.id = \(uuid)",
                logger: logger)
            for try await row in rows { return try TenantStore.tenant(from: row) }
        }
        throw Problem.notFound("tenant", id)
    }

    func row(_ id: UUID) async throws -> PlatformTenantRow {
        let rows = try await client.query(
            "SELECT \(unescaped: PlatformTenantRow.columns) FROM itinera.tenants t WHERE t.id = \(id)", logger: logger)
        for try await row in rows { return try PlatformTenantRow(row) }
        throw Problem.notFound("tenant", id.uuidString.lowercased())
    }

    /// Sets the tenant's state and records a change in its audit trail; the next request of any of
    /// its keys or sessions sees the new state. The state is read under lock, so of two concurrent
    /// calls only one records the change.
    func setState(_ state: Tenant.State, of tenant: Tenant) async throws -> PlatformTenantRow {
        try await client.transaction(logger: logger) { connection in
            let rows = try await connection.query(
                """
                WITH before AS (SELECT id, state FROM itinera.tenants WHERE id = \(tenant.id) FOR UPDATE)
                UPDATE itinera.tenants t SET state = \(state.rawValue), updated_at = now()
                FROM before b WHERE t.id = b.id RETURNING b.state
                """,
                logger: logger)
            var previous: String?
            for try await value in rows.decode(String.self) { previous = value }
            guard let previous else { throw Problem.notFound("tenant", tenant.id.uuidString.lowercased()) }
            guard previous != state.rawValue else { return }
            try await AuditLog.record(
                AuditEvent(
                    actorType: "platform", actorID: nil,
                    action: state == .suspended ? "tenant.suspend" : "tenant.resume",
                    targetType: "tenant", targetID: tenant.id.uuidString.lowercased(),
                    before: Data(#"{"state":"\#(previous)"}"#.utf8),
                    after: Data(#"{"state":"\#(state.rawValue)"}"#.utf8)),
                on: try await TenantTransaction.enter(connection, tenant: tenant.identity, logger: logger)
            )
        }
        return try await row(tenant.id)
    }
}

/// A tenant as the platform operator sees it.
struct PlatformTenantRow: Sendable {
    static let columns = """
        t.id, t.slug, t.name, t.kind, t.state, t.schema_version, t.created_at,
        (SELECT count(*) FROM itinera.users u WHERE u.tenant_id = t.id)::bigint,
        (SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c
         WHERE c.relnamespace = t.schema_name::regnamespace AND c.relkind IN ('r', 'm'))::bigint
        """

    let id: UUID
    let slug: String
    let name: String
    let kind: String
    let state: String
    let schemaVersion: Int
    let createdAt: Date
    let users: Int64
    let sizeBytes: Int64

    init(_ row: PostgresRow) throws {
        (id, slug, name, kind, state, schemaVersion, createdAt, users, sizeBytes) = try row.decode(
            (UUID, String, String, String, String, Int, Date, Int64, Int64).self)
    }

    var api: Components.Schemas.PlatformTenant {
        Components.Schemas.PlatformTenant(
            id: id.uuidString.lowercased(), slug: slug, name: name,
            kind: Components.Schemas.TenantKind(rawValue: kind) ?? .agency,
            state: state == "active" ? .active : .suspended, schemaVersion: schemaVersion, users: Int(users),
            sizeBytes: sizeBytes, createdAt: createdAt)
    }
}

extension TenantArchive.Summary {
    var api: Components.Schemas.TenantArchive {
        Components.Schemas.TenantArchive(
            archive: archive, bytes: bytes, sha256: sha256, users: users,
            tables: tables.map { .init(name: $0.name, rows: $0.rows) })
    }
}
