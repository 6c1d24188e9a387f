import Foundation
public import Logging
public import PostgresNIO

/// The SQL of the control schema's tenants and users.
public struct TenantStore: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// The tenant columns every tenant-returning query selects, in the order `tenant(from:)` reads
    /// them, for `FROM itinera.tenants t`.
    static let tenantColumns =
        "t.id, t.slug, t.name, t.kind, t.timezone, t.currency, t.state, t.created_at, t.schema_name, t.role_name"

    typealias TenantColumns = (UUID, String, String, String, String, String, String, Date, String, String)

    static func tenant(from c: TenantColumns) -> Tenant {
        Tenant(
            id: c.0,
            slug: c.1,
            name: c.2,
            kind: Tenant.Kind(rawValue: c.3) ?? .agency,
            timezone: c.4,
            currency: c.5.trimmingCharacters(in: .whitespaces),
            state: Tenant.State(rawValue: c.6) ?? .suspended,
            createdAt: c.7,
            identity: TenantIdentity(id: c.0, schema: c.8, role: c.9)
        )
    }

    public func isSlugTaken(_ slug: String) async throws -> Bool {
        let rows = try await client.query("SELECT 1 FROM itinera.tenants WHERE slug = \(slug)", logger: logger)
        for try await _ in rows { return true }
        return false
    }

    /// Inserts the tenant row; a taken slug becomes a 409.
    static func insert(_ tenant: Tenant, schemaVersion: Int, on connection: PostgresConnection, logger: Logger)
        async throws
    {
        do {
            try await connection.execute(
                """
                INSERT INTO itinera.tenants
                    (id, slug, name, kind, schema_name, role_name, state, schema_version, timezone, currency, created_at)
                VALUES
                    (\(tenant.id), \(tenant.slug), \(tenant.name), \(tenant.kind.rawValue), \(tenant.identity.schema),
                     \(tenant.identity.role), \(tenant.state.rawValue), \(schemaVersion), \(tenant.timezone),
                     \(tenant.currency), \(tenant.createdAt))
                """,
                logger: logger
            )
        } catch let error as PSQLError
            where error.serverInfo?[.sqlState] == "23505"
            && error.serverInfo?[.constraintName] == "tenants_slug_key"
        {
            throw Problem.slugTaken(tenant.slug)
        }
    }

    static func insert(_ user: TenantUser, passwordHash: String, on connection: PostgresConnection, logger: Logger)
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
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> (before: Tenant, after: Tenant) {
        let rows = try await connection.query(
            """
            WITH before AS (SELECT * FROM itinera.tenants WHERE id = \(tenantID) FOR UPDATE)
            UPDATE itinera.tenants t SET
                name = coalesce(\(name), t.name),
                timezone = coalesce(\(timezone), t.timezone),
                currency = coalesce(\(currency), t.currency),
                updated_at = now()
            FROM before b WHERE t.id = b.id
            RETURNING \(unescaped: tenantColumns), b.name, b.timezone, b.currency
            """,
            logger: logger
        )
        for try await row in rows.decode(
            (UUID, String, String, String, String, String, String, Date, String, String, String, String, String).self)
        {
            let after = tenant(from: (row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7, row.8, row.9))
            var before = after
            before.name = row.10
            before.timezone = row.11
            before.currency = row.12.trimmingCharacters(in: .whitespaces)
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
