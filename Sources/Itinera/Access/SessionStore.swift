public import Foundation
public import Logging
public import PostgresNIO

/// The SQL of admin sessions and sign-in (control schema).
public struct SessionStore: Sendable {
    let client: PQPool
    let logger: Logger

    public init(client: PQPool, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Looks the session up and, when `enter` is true, enters its tenant in the same statement, so an
    /// authenticated tenant request spends one round trip on both. Throws 401 for an unknown or expired
    /// token; the tenant's state is for the caller to judge.
    static func authenticate(
        _ token: SessionToken,
        on connection: PQConnection,
        enter: Bool,
        logger: Logger
    ) async throws -> Principal {
        let rows =
            enter
            ? try await connection.execute(SessionLookupEntering(tokenHash: token.hash), logger: logger)
            : try await connection.execute(SessionLookup(tokenHash: token.hash), logger: logger)
        for try await row in rows {
            return Principal(actor: .user(id: row.userID, role: row.role), tenant: row.tenant)
        }
        throw Problem.unauthorized("The session token is unknown or has expired.")
    }

    /// Records a new session for the user; returns when it expires.
    static func insert(
        _ token: SessionToken,
        userID: UUID,
        tenantID: UUID,
        lifetime: Duration,
        on connection: PQConnection,
        logger: Logger
    ) async throws -> Date {
        let expires = Date().addingTimeInterval(TimeInterval(lifetime.components.seconds))
        try await connection.execute(
            """
            INSERT INTO itinera.sessions (token_hash, tenant_id, user_id, expires_at)
            VALUES (\(token.hash), \(tenantID), \(userID), \(expires))
            """,
            logger: logger
        )
        return expires
    }

    /// Opens a session outside any other transaction.
    public func create(_ token: SessionToken, userID: UUID, tenantID: UUID, lifetime: Duration) async throws -> Date {
        try await client.withConnection { connection in
            try await Self.insert(
                token, userID: userID, tenantID: tenantID, lifetime: lifetime, on: connection, logger: logger)
        }
    }

    /// Ends the session.
    static func delete(_ token: SessionToken, on connection: PQConnection, logger: Logger) async throws {
        try await connection.execute("DELETE FROM itinera.sessions WHERE token_hash = \(token.hash)", logger: logger)
    }

    /// The active account a sign-in names, with its password hash; `nil` when tenant or user is unknown.
    public func account(tenantSlug: String, email: String) async throws -> (
        user: TenantUser, tenant: Tenant, passwordHash: String
    )? {
        let rows = try await client.query(
            """
            SELECT u.id, u.email, u.name, u.role, u.created_at, u.password_hash, \(unescaped: TenantStore.tenantColumns)
            FROM itinera.users u JOIN itinera.tenants t ON t.id = u.tenant_id
            WHERE t.slug = \(tenantSlug) AND u.email = \(email) AND u.state = 'active'
            """,
            logger: logger
        )
        for try await row in rows {
            let columns = row.makeRandomAccess()
            let tenant = try TenantStore.tenant(from: columns, at: 6)
            let user = TenantUser(
                id: try columns[0].decode(UUID.self),
                tenantID: tenant.id,
                email: try columns[1].decode(String.self),
                name: try columns[2].decode(String.self),
                role: TenantUser.Role(rawValue: try columns[3].decode(String.self)) ?? .analyst,
                createdAt: try columns[4].decode(Date.self)
            )
            return (user, tenant, try columns[5].decode(String.self))
        }
        return nil
    }
}
