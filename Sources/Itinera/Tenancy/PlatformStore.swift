import Foundation
import Logging
import PostgresNIO

/// The SQL of the platform operator's view of every tenant (control schema).
struct PlatformStore: Sendable {
    let client: PQPool
    let logger: Logger

    /// One page of tenants by slug, after `after`; one more than `limit` when a next page exists.
    func list(after: String, limit: Int) async throws -> [PlatformTenantRow] {
        let rows = try await client.query(
            """
            SELECT \(unescaped: PlatformTenantRow.columns) FROM itinera.tenants t
            WHERE t.slug > \(after) ORDER BY t.slug LIMIT \(limit)
            """,
            logger: logger
        )
        var tenants: [PlatformTenantRow] = []
        for try await row in rows { tenants.append(try PlatformTenantRow(row)) }
        return tenants
    }

    /// The tenant, or 404.
    func tenant(_ id: String) async throws -> Tenant {
        if let uuid = UUID(uuidString: id) {
            let rows = try await client.query(
                "SELECT \(unescaped: TenantStore.tenantColumns) FROM itinera.tenants t WHERE t.id = \(uuid)",
                logger: logger)
            for try await row in rows { return try TenantStore.tenant(from: row) }
        }
        throw Problem.notFound("tenant", id)
    }

    /// The tenant as the operator sees it, or 404.
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

    /// Removes the tenant's row (its users, sessions and keys with it), then drops its schema and role,
    /// in one transaction.
    func drop(_ tenant: Tenant) async throws {
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

    init(_ row: PQRow) throws {
        (id, slug, name, kind, state, schemaVersion, createdAt, users, sizeBytes) = try row.decode(
            (UUID, String, String, String, String, Int, Date, Int64, Int64).self)
    }
}
