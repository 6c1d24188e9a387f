import Foundation
public import Logging
public import PostgresNIO

/// The SQL of the control schema's tenants and users.
public struct TenantStore: Sendable {
    let client: PQPool
    let logger: Logger

    public init(client: PQPool, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// The tenant columns every tenant-returning query selects, in the order `tenant(from:)` reads
    /// them, for `FROM itinera.tenants t`.
    static let tenantColumns =
        "t.id, t.slug, t.name, t.kind, t.timezone, t.currency, t.state, t.created_at, t.schema_name, t.role_name, t.country"

    /// The tenant in `row`, whose columns from `offset` on are `tenantColumns`.
    static func tenant(from row: PQRow, at offset: Int = 0) throws -> Tenant {
        let id = try row[offset].decode(UUID.self)
        return Tenant(
            id: id,
            slug: try row[offset + 1].decode(String.self),
            name: try row[offset + 2].decode(String.self),
            kind: Tenant.Kind(rawValue: try row[offset + 3].decode(String.self)) ?? .agency,
            timezone: try row[offset + 4].decode(String.self),
            currency: try row[offset + 5].decode(String.self).trimmed,
            state: Tenant.State(rawValue: try row[offset + 6].decode(String.self)) ?? .suspended,
            createdAt: try row[offset + 7].decode(Date.self),
            identity: TenantIdentity(
                id: id, schema: try row[offset + 8].decode(String.self), role: try row[offset + 9].decode(String.self)),
            country: try row[offset + 10].decode(String.self)
        )
    }

    public func isSlugTaken(_ slug: String) async throws -> Bool {
        let rows = try await client.query("SELECT 1 FROM itinera.tenants WHERE slug = \(slug)", logger: logger)
        for try await _ in rows { return true }
        return false
    }

    /// Inserts the tenant row; a taken slug becomes a 409.
    static func insert(_ tenant: Tenant, schemaVersion: Int, on connection: PQConnection, logger: Logger)
        async throws
    {
        do {
            try await connection.execute(
                """
                INSERT INTO itinera.tenants
                    (id, slug, name, kind, schema_name, role_name, state, schema_version, timezone, currency, country,
                     created_at)
                VALUES
                    (\(tenant.id), \(tenant.slug), \(tenant.name), \(tenant.kind.rawValue), \(tenant.identity.schema),
                     \(tenant.identity.role), \(tenant.state.rawValue), \(schemaVersion), \(tenant.timezone),
                     \(tenant.currency), \(tenant.country), \(tenant.createdAt))
                """,
                logger: logger
            )
        } catch let error as PQError
            where error.sqlState == "23505"
            && error.constraint == "tenants_slug_key"
        {
            throw Problem.slugTaken(tenant.slug)
        }
    }

    static func insert(_ user: TenantUser, passwordHash: String, on connection: PQConnection, logger: Logger)
        async throws
    {
        try await connection.execute(
            """
            INSERT INTO itinera.users (id, tenant_id, email, name, role, password_hash, created_at)
            VALUES (\(user.id), \(user.tenantID), \(user.email), \(user.name), \(user.role.rawValue),
                    \(passwordHash), \(user.createdAt))
            """,
            logger: logger
        )
    }

    /// Changes the tenant's profile fields that are given, returning the row before and after.
    static func updateProfile(
        tenantID: UUID,
        name: String?,
        timezone: String?,
        currency: String?,
        country: String?,
        on connection: PQConnection,
        logger: Logger
    ) async throws -> (before: Tenant, after: Tenant) {
        let rows = try await connection.query(
            """
            WITH before AS (SELECT * FROM itinera.tenants WHERE id = \(tenantID) FOR UPDATE)
            UPDATE itinera.tenants t SET
                name = coalesce(\(name), t.name),
                timezone = coalesce(\(timezone), t.timezone),
                currency = coalesce(\(currency), t.currency),
                country = coalesce(\(country), t.country),
                updated_at = now()
            FROM before b WHERE t.id = b.id
            RETURNING \(unescaped: tenantColumns), b.name, b.timezone, b.currency, b.country
            """,
            logger: logger
        )
        for try await row in rows {
            let columns = row.makeRandomAccess()
            let after = try tenant(from: columns)
            var before = after
            before.name = try columns[11].decode(String.self)
            before.timezone = try columns[12].decode(String.self)
            before.currency = try columns[13].decode(String.self).trimmed
            before.country = try columns[14].decode(String.self)
            return (before, after)
        }
        throw Problem.unauthorized("The session's tenant no longer exists.")
    }
}

extension Problem {
    static func slugTaken(_ slug: String) -> Problem {
        .conflict("The slug '\(slug)' is already taken; choose another.", field: "tenant.slug")
    }
}
