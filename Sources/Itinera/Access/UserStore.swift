import Foundation
import Logging
import PostgresNIO

/// The SQL of a tenant's users and invitations (control schema).
public enum UserStore {
    static let columns = "u.id, u.tenant_id, u.email, u.name, u.role, u.state, u.created_at"

    static func user(from row: PQRow) throws -> TenantUser {
        let c = try row.decode((UUID, UUID, String, String, String, String, Date).self)
        return TenantUser(
            id: c.0,
            tenantID: c.1,
            email: c.2,
            name: c.3,
            role: TenantUser.Role(rawValue: c.4) ?? .analyst,
            state: TenantUser.State(rawValue: c.5) ?? .invited,
            createdAt: c.6
        )
    }

    static func users(_ query: PQStatement, on connection: PQConnection, logger: Logger) async throws
        -> [TenantUser]
    {
        var users: [TenantUser] = []
        for try await row in try await connection.query(query, logger: logger) { users.append(try user(from: row)) }
        return users
    }

    /// One page of the tenant's users by e-mail; one more than `page.limit` when there is a next page.
    static func list(tenantID: UUID, page: PageRequest, on connection: PQConnection, logger: Logger)
        async throws -> [TenantUser]
    {
        let after = page.after?.first ?? ""
        return try await users(
            """
            SELECT \(unescaped: columns) FROM itinera.users u
            WHERE u.tenant_id = \(tenantID) AND u.email > \(after)
            ORDER BY u.email LIMIT \(page.limit + 1)
            """,
            on: connection,
            logger: logger
        )
    }

    /// The tenant's user with this id, locked for a change; `nil` when the tenant has no such user.
    static func find(id: UUID, tenantID: UUID, on connection: PQConnection, logger: Logger) async throws
        -> TenantUser?
    {
        try await users(
            "SELECT \(unescaped: columns) FROM itinera.users u WHERE u.id = \(id) AND u.tenant_id = \(tenantID) FOR UPDATE",
            on: connection,
            logger: logger
        ).first
    }

    /// Locks the tenant's active owners and counts them, so two changes to owners cannot both pass
    /// the last-owner check.
    static func lockOwners(tenantID: UUID, on connection: PQConnection, logger: Logger) async throws -> Int {
        try await users(
            """
            SELECT \(unescaped: columns) FROM itinera.users u
            WHERE u.tenant_id = \(tenantID) AND u.role = 'owner' AND u.state = 'active'
            ORDER BY u.id FOR UPDATE
            """,
            on: connection,
            logger: logger
        ).count
    }

    /// Inserts an invited user and their invitation; 409 when the e-mail is taken in the tenant.
    static func invite(
        email: String,
        name: String,
        role: TenantUser.Role,
        tenantID: UUID,
        token: InvitationToken,
        expiresAt: Date,
        on connection: PQConnection,
        logger: Logger
    ) async throws -> TenantUser {
        let id = UUID()
        let inserted: [TenantUser]
        do {
            inserted = try await users(
                """
                INSERT INTO itinera.users AS u (id, tenant_id, email, name, role, state)
                VALUES (\(id), \(tenantID), \(email), \(name), \(role.rawValue), 'invited')
                RETURNING \(unescaped: columns)
                """,
                on: connection,
                logger: logger
            )
        } catch let error as PQError
            where error.sqlState == "23505"
            && error.constraint == "users_tenant_id_email_key"
        {
            throw Problem.conflict("A user with the e-mail \(email) already exists in this tenant.", field: "email")
        }
        try await connection.execute(
            """
            INSERT INTO itinera.invitations (token_hash, tenant_id, user_id, expires_at)
            VALUES (\(token.hash), \(tenantID), \(id), \(expiresAt))
            """,
            logger: logger
        )
        return inserted[0]
    }

    /// Changes the user's name and role where given.
    static func update(
        id: UUID,
        name: String?,
        role: TenantUser.Role?,
        on connection: PQConnection,
        logger: Logger
    ) async throws -> TenantUser {
        try await users(
            """
            UPDATE itinera.users u SET name = coalesce(\(name), u.name), role = coalesce(\(role?.rawValue), u.role),
                updated_at = now()
            WHERE u.id = \(id) RETURNING \(unescaped: columns)
            """,
            on: connection,
            logger: logger
        )[0]
    }

    /// Removes the user; their sessions and invitations go with them.
    static func delete(id: UUID, on connection: PQConnection, logger: Logger) async throws {
        try await connection.execute("DELETE FROM itinera.users WHERE id = \(id)", logger: logger)
    }

    /// Accepts a live invitation: the user gets the password hash (and name, when given) and becomes
    /// active, and the invitation is used up. `nil` when the token is unknown, used or expired.
    static func acceptInvitation(
        _ token: InvitationToken,
        passwordHash: String,
        name: String?,
        on connection: PQConnection,
        logger: Logger
    ) async throws -> (user: TenantUser, tenant: Tenant)? {
        let rows = try await connection.query(
            """
            WITH used AS (
                DELETE FROM itinera.invitations i WHERE i.token_hash = \(token.hash) AND i.expires_at > now()
                RETURNING i.user_id
            )
            UPDATE itinera.users u SET password_hash = \(passwordHash), state = 'active',
                name = coalesce(\(name), u.name), updated_at = now()
            FROM used WHERE u.id = used.user_id AND u.state = 'invited'
            RETURNING \(unescaped: columns)
            """,
            logger: logger
        )
        var accepted: TenantUser?
        for try await row in rows { accepted = try user(from: row) }
        guard let accepted else { return nil }
        let tenants = try await connection.query(
            "SELECT \(unescaped: TenantStore.tenantColumns) FROM itinera.tenants t WHERE t.id = \(accepted.tenantID)",
            logger: logger
        )
        for try await row in tenants { return (accepted, try TenantStore.tenant(from: row)) }
        return nil
    }
}

extension UserStore {
    /// The user's language in the console (`en`, `zh`).
    static func language(id: UUID, on connection: PQConnection, logger: Logger) async throws -> String? {
        try await connection.query("SELECT language FROM itinera.users WHERE id = \(id)", logger: logger).first?
            .decode(String.self)
    }

    /// Keeps the language the user chose.
    static func setLanguage(_ language: String, id: UUID, on connection: PQConnection, logger: Logger) async throws {
        try await connection.query(
            "UPDATE itinera.users SET language = \(language) WHERE id = \(id) AND language <> \(language)",
            logger: logger)
    }
}
