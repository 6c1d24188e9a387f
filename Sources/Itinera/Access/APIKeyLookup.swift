import Foundation
import PostgresNIO

/// The statement every key-authenticated request starts with: the live key with this public prefix
/// and its tenant. Prepared once per connection, like `SessionLookup`.
struct APIKeyLookup: APIKeyLookupStatement {
    static let sql = """
        SELECT k.id, k.key_hash, k.scopes, k.expires_at, \(TenantStore.tenantColumns), NULL::text, NULL::text
        FROM itinera.api_keys k
        JOIN itinera.tenants t ON t.id = k.tenant_id
        WHERE k.prefix = $1 AND k.revoked_at IS NULL
        """

    let prefix: String
}

/// `APIKeyLookup` that also enters the key's tenant in the same statement (see `TenantTransaction`).
/// A wrong secret is found only after the row comes back, and then the transaction rolls back.
struct APIKeyLookupEntering: APIKeyLookupStatement {
    static let sql = APIKeyLookup.sql.replacingOccurrences(
        of: "NULL::text, NULL::text",
        with: TenantTransaction.enterColumns(schemaColumn: "t.schema_name", roleColumn: "t.role_name")
    )

    let prefix: String
}

/// The two key lookups differ only in their SQL.
protocol APIKeyLookupStatement: PQPreparedStatement where Row == APIKeyLookupRow {
    var prefix: String { get }
}

extension APIKeyLookupStatement {
    func makeBindings() throws -> PQBindings {
        var bindings = PQBindings(capacity: 1)
        bindings.append(prefix)
        return bindings
    }

    func decodeRow(_ row: PQRow) throws -> APIKeyLookupRow { try APIKeyLookupRow(row) }
}

/// What a key lookup returns.
struct APIKeyLookupRow: Sendable {
    let id: UUID
    let keyHash: Data
    let scopes: Set<APIScope>
    let expiresAt: Date?
    let tenant: Tenant

    init(_ row: PQRow) throws {
        let columns = row.makeRandomAccess()
        id = try columns[0].decode(UUID.self)
        keyHash = try columns[1].decode(Data.self)
        scopes = Set(try columns[2].decode([String].self).compactMap(APIScope.init(rawValue:)))
        expiresAt = try columns[3].decode(Date?.self)
        tenant = try TenantStore.tenant(from: columns, at: 4)
    }
}
