import Foundation

/// The caller's authentication through libpq: the lookup that enters the tenant goes in the same
/// flush as the operation's first statements (and, for a read, `COMMIT`), so a tenant read is one
/// round trip. Statements sent with the lookup run only when the lookup entered a tenant (otherwise
/// the tenant's tables are not on the search path and the database refuses them); their answers
/// reach the operation only after the caller passed every check.
extension AccessControl {
    /// Authenticates the caller, runs `reads` and commits, in one round trip.
    public func read(_ reads: [PQStatement]) async throws -> (Principal, [PQRows]) {
        try await withAffinity {
            try await client.transaction { connection in
                try await authenticate(on: connection, with: reads, commit: true)
            }
        }
    }

    /// Authenticates the caller with `first` sent in the same round trip, then runs `body` in the
    /// tenant's transaction; `COMMIT` follows the body.
    public func inTenant<Result: Sendable>(
        sending first: [PQStatement],
        _ body: (TenantConnection, Principal, [PQRows]) async throws -> Result
    ) async throws -> Result {
        try await withAffinity {
            try await client.transaction { connection in
                let (principal, rows) = try await authenticate(on: connection, with: first, commit: false)
                return try await body(
                    TenantConnection(connection: connection, tenant: principal.tenant.identity, logger: logger),
                    principal, rows)
            }
        }
    }

    // Not optimised: Swift 6.3's optimiser crashes splitting this coroutine once it is specialised
    // for the order path's caller; the work here is a few branches around one round trip.
    @_optimize(none)
    private func authenticate(on connection: PQConnection, with statements: [PQStatement], commit: Bool)
        async throws -> (Principal, [PQRows])
    {
        guard let scope = RequestScope.current, let access = scope.access else {
            throw Problem.unauthorized("This operation needs an `Authorization: Bearer <token>` header.")
        }
        scope.setAuthenticating()
        let lookup: PQStatement
        switch access.credential {
        case .session(let token): lookup = try PQStatement(prepared: SessionLookupEntering.sql).binding(token.hash)
        case .apiKey(let key): lookup = try PQStatement(prepared: APIKeyLookupEntering.sql).binding(key.prefix)
        }
        var (rows, failed) = try await Self.send([lookup] + statements, commit: commit, on: connection)
        let found = rows.removeFirst().first
        let principal = try Self.principal(from: found, credential: access.credential)
        connection.noteTenant(principal.tenant.id)
        try admit(principal, for: access, scope: scope)
        if let failed { throw failed }
        return (principal, rows)
    }

    /// The caller the lookup's row names, or the 401 for a credential it did not find (a missing row,
    /// a wrong secret, an expired key).
    private static func principal(from found: PQRow?, credential: Credential) throws -> Principal {
        switch credential {
        case .session:
            guard let row = found else { throw Problem.unauthorized("The session token is unknown or has expired.") }
            let (user, role) = try row.decode((UUID, String).self)
            return Principal(
                actor: .user(id: user, role: TenantUser.Role(rawValue: role) ?? .analyst),
                tenant: try TenantStore.tenant(from: row, at: 2))
        case .apiKey(let key):
            guard let row = found, constantTimeEquals(try row[1].decode(Data.self), key.hash) else {
                throw Problem.unauthorized("The API key is unknown or has been revoked.")
            }
            if let expires = try row[3].decode(Date?.self), expires <= Date() {
                throw Problem.unauthorized("The API key expired at \(expires.formatted(.iso8601)).")
            }
            let scopes = Set(try row[2].decode([String].self).compactMap(APIScope.init(rawValue:)))
            return Principal(
                actor: .apiKey(id: try row[0].decode(UUID.self), scopes: scopes),
                tenant: try TenantStore.tenant(from: row, at: 4))
        }
    }

    /// Sends the lookup and the statements after it. A statement after the lookup that failed is
    /// answered only once the caller has been judged (a caller without access learns only that), so
    /// its error is handed back beside the rows of the statements before it.
    private static func send(_ statements: [PQStatement], commit: Bool, on connection: PQConnection) async throws
        -> ([PQRows], PQError?)
    {
        do {
            return (try await connection.pipeline(statements, commit: commit), nil)
        } catch let failure as PQPipelineFailure {
            guard failure.index > 0 else { throw failure.error }
            return (failure.rows, failure.error)
        }
    }
}
