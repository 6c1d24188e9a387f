import Foundation
import Logging
import PostgresNIO

/// The SQL of API keys (control schema).
public enum APIKeyStore {
    static let columns = "k.id, k.name, k.prefix, k.scopes, k.created_at, k.expires_at, k.revoked_at, k.last_used_at"

    typealias KeyColumns = (UUID, String, String, [String], Date, Date?, Date?, Date?)

    static func key(from row: PQRow) throws -> APIKey { key(from: try row.decode(KeyColumns.self)) }

    static func key(from c: KeyColumns) -> APIKey {
        APIKey(
            id: c.0, name: c.1, prefix: c.2, scopes: c.3, createdAt: c.4, expiresAt: c.5, revokedAt: c.6,
            lastUsedAt: c.7)
    }

    /// Finds the key by its prefix (entering its tenant when `enter`), then checks the whole key's
    /// hash in constant time and the expiry. Every failure is a 401.
    static func authenticate(
        _ token: APIKeyToken,
        on connection: PQConnection,
        enter: Bool,
        logger: Logger
    ) async throws -> Principal {
        let rows =
            enter
            ? try await connection.execute(APIKeyLookupEntering(prefix: token.prefix), logger: logger)
            : try await connection.execute(APIKeyLookup(prefix: token.prefix), logger: logger)
        var found: APIKeyLookupRow?
        for try await row in rows { found = row }
        guard let found, constantTimeEquals(found.keyHash, token.hash) else {
            throw Problem.unauthorized("The API key is unknown or has been revoked.")
        }
        if let expires = found.expiresAt, expires <= Date() {
            throw Problem.unauthorized("The API key expired at \(expires.formatted(.iso8601)).")
        }
        return Principal(actor: .apiKey(id: found.id, scopes: found.scopes), tenant: found.tenant)
    }

    static func insert(
        _ token: APIKeyToken,
        tenantID: UUID,
        name: String,
        scopes: [String],
        expiresAt: Date?,
        createdBy: UUID?,
        on connection: PQConnection,
        logger: Logger
    ) async throws -> APIKey {
        let rows = try await connection.query(
            """
            INSERT INTO itinera.api_keys AS k (id, tenant_id, prefix, key_hash, name, scopes, created_by, expires_at)
            VALUES (\(UUID()), \(tenantID), \(token.prefix), \(token.hash), \(name), \(scopes), \(createdBy),
                    \(expiresAt))
            RETURNING \(unescaped: columns)
            """,
            logger: logger
        )
        for try await row in rows { return try key(from: row) }
        throw Problem.internalError(requestID: RequestScope.current?.requestID ?? "unknown")
    }

    /// How many unrevoked keys the tenant holds.
    static func activeCount(tenantID: UUID, on connection: PQConnection, logger: Logger) async throws -> Int {
        let rows = try await connection.query(
            "SELECT count(*)::int FROM itinera.api_keys WHERE tenant_id = \(tenantID) AND revoked_at IS NULL",
            logger: logger
        )
        for try await count in rows.decode(Int.self) { return count }
        return 0
    }

    /// One page of the tenant's unrevoked keys, oldest first.
    static func list(
        tenantID: UUID,
        page: PageRequest,
        on connection: PQConnection,
        logger: Logger
    ) async throws -> [APIKey] {
        let after = try page.afterTimeAndUUID()
        let (afterMicros, afterID) = (after?.micros, after?.id)
        let query: PQStatement = """
            SELECT \(unescaped: columns) FROM itinera.api_keys k
            WHERE k.tenant_id = \(tenantID) AND k.revoked_at IS NULL
              AND (\(afterMicros)::bigint IS NULL
                   OR (k.created_at, k.id) > (timestamptz 'epoch' + \(afterMicros) * interval '1 microsecond', \(afterID)))
            ORDER BY k.created_at, k.id LIMIT \(page.limit + 1)
            """
        var keys: [APIKey] = []
        for try await row in try await connection.query(query, logger: logger) {
            keys.append(try key(from: row))
        }
        return keys
    }

    /// Revokes the tenant's key; the key before and after, or `nil` when the tenant has no such key.
    /// Revoking a revoked key changes nothing and returns it unchanged.
    static func revoke(
        id: UUID,
        tenantID: UUID,
        on connection: PQConnection,
        logger: Logger
    ) async throws -> (before: APIKey, after: APIKey)? {
        let rows = try await connection.query(
            """
            WITH before AS (
                SELECT id, revoked_at FROM itinera.api_keys WHERE id = \(id) AND tenant_id = \(tenantID) FOR UPDATE
            )
            UPDATE itinera.api_keys k SET revoked_at = coalesce(b.revoked_at, now())
            FROM before b WHERE k.id = b.id
            RETURNING \(unescaped: columns), b.revoked_at
            """,
            logger: logger
        )
        for try await c in rows.decode((UUID, String, String, [String], Date, Date?, Date?, Date?, Date?).self) {
            let after = key(from: (c.0, c.1, c.2, c.3, c.4, c.5, c.6, c.7))
            var before = after
            before.revokedAt = c.8
            return (before, after)
        }
        return nil
    }
}
