import Foundation
import PostgresNIO

/// The statement every session-authenticated request starts with: the live session, its user and
/// its tenant, by the token's hash. Prepared once per connection, because planning its joins costs
/// ten times more than running them (see docs/benchmarks.md).
struct SessionLookup: SessionLookupStatement {
    static let sql = """
        SELECT u.id, u.role, \(TenantStore.tenantColumns), NULL::text, NULL::text
        FROM itinera.sessions s
        JOIN itinera.users u ON u.id = s.user_id
        JOIN itinera.tenants t ON t.id = s.tenant_id
        WHERE s.token_hash = $1 AND s.expires_at > now()
        """

    let tokenHash: Data
}

/// `SessionLookup` that also enters the session's tenant in the same statement (see `TenantTransaction`).
struct SessionLookupEntering: SessionLookupStatement {
    static let sql = SessionLookup.sql.replacingOccurrences(
        of: "NULL::text, NULL::text",
        with: TenantTransaction.enterColumns(schemaColumn: "t.schema_name", roleColumn: "t.role_name")
    )

    let tokenHash: Data
}

/// The two session lookups differ only in their SQL.
protocol SessionLookupStatement: PQPreparedStatement where Row == SessionLookupRow {
    var tokenHash: Data { get }
}

extension SessionLookupStatement {
    func makeBindings() throws -> PQBindings {
        var bindings = PQBindings(capacity: 1)
        try bindings.append(tokenHash)
        return bindings
    }

    func decodeRow(_ row: PQRow) throws -> SessionLookupRow { try SessionLookupRow(row) }
}

/// What a session lookup returns.
struct SessionLookupRow: Sendable {
    let userID: UUID
    let role: TenantUser.Role
    let tenant: Tenant

    init(_ row: PQRow) throws {
        let columns = row.makeRandomAccess()
        userID = try columns[0].decode(UUID.self)
        role = TenantUser.Role(rawValue: try columns[1].decode(String.self)) ?? .analyst
        tenant = try TenantStore.tenant(from: columns, at: 2)
    }
}
