public import Logging
public import PostgresNIO

/// A connection inside a transaction that has entered one tenant: its search path is the tenant's
/// schema and its role the tenant's role, so it can reach that tenant's tables and no others.
/// Stores of tenant data take this type, never a bare connection.
public struct TenantConnection: Sendable {
    public let connection: PQConnection
    public let tenant: TenantIdentity
    public let logger: Logger

    /// Runs one statement in the tenant's transaction.
    @discardableResult
    public func query(
        _ query: PQStatement,
        file: String = #fileID,
        line: Int = #line
    ) async throws -> PQRows {
        try await connection.query(query, logger: logger, file: file, line: line)
    }
}

/// The only way code touches tenant data.
///
/// Each unit of work is one transaction that first sets, transaction-locally, the search path to the
/// tenant's schema and the role to the tenant's NOLOGIN role (`set_config('role', …, true)` is
/// `SET LOCAL ROLE`). Both reset at COMMIT or ROLLBACK, so a pooled connection never carries one
/// tenant's context into another's request; the application role's own default search path is an
/// empty schema, so forgetting to enter a tenant finds nothing.
public enum TenantTransaction {
    /// The select-list fragment that enters a tenant, for statements that look the tenant up and
    /// enter it in the same round trip (see `SessionStore`). `schemaColumn` and `roleColumn` are
    /// column references written in code, never input.
    public static func enterColumns(schemaColumn: String, roleColumn: String) -> String {
        "set_config('search_path', \(schemaColumn), true), set_config('role', \(roleColumn), true)"
    }

    /// Runs `body` in a transaction entered into `tenant`.
    public static func run<Result: Sendable>(
        _ client: PQPool,
        tenant: TenantIdentity,
        logger: Logger,
        isolation: TransactionIsolation = .readCommitted,
        _ body: (TenantConnection) async throws -> Result
    ) async throws -> Result {
        try await PQPool.$affinity.withValue(tenant.id) {
            try await client.transaction(logger: logger, isolation: isolation) { connection in
                try await enter(connection, tenant: tenant, logger: logger)
                return try await body(TenantConnection(connection: connection, tenant: tenant, logger: logger))
            }
        }
    }

    /// Runs `body` in a transaction whose first statement, `enter`, both looks up who is calling and
    /// enters their tenant (using `enterColumns`); `enter` returns the tenant it entered and what it
    /// learned, or throws to roll back.
    public static func run<Principal: Sendable, Result: Sendable>(
        _ client: PQPool,
        logger: Logger,
        isolation: TransactionIsolation = .readCommitted,
        entering enter: (PQConnection) async throws -> (TenantIdentity, Principal),
        _ body: (TenantConnection, Principal) async throws -> Result
    ) async throws -> Result {
        try await client.transaction(logger: logger, isolation: isolation) { connection in
            let (tenant, principal) = try await enter(connection)
            connection.noteTenant(tenant.id)
            return try await body(TenantConnection(connection: connection, tenant: tenant, logger: logger), principal)
        }
    }
}

extension TenantTransaction {
    /// Enters `tenant` on a connection already inside a transaction that did control-schema work
    /// first, and hands back the connection as the tenant's.
    @discardableResult
    public static func enter(_ connection: PQConnection, tenant: TenantIdentity, logger: Logger) async throws
        -> TenantConnection
    {
        try await connection.execute(
            "SELECT set_config('search_path', \(tenant.schema), true), set_config('role', \(tenant.role), true)",
            logger: logger
        )
        connection.noteTenant(tenant.id)
        return TenantConnection(connection: connection, tenant: tenant, logger: logger)
    }

    /// Leaves the tenant on a connection `enter` entered, back to the application role and its empty
    /// search path, for control-schema work that must commit with the tenant's (queueing the job a
    /// change needs). The tenant connection must not be used afterwards.
    public static func leave(_ tenant: TenantConnection) async throws -> PQConnection {
        try await tenant.connection.execute(
            "SELECT set_config('role', 'none', true), set_config('search_path', 'itinera_no_tenant', true)",
            logger: tenant.logger
        )
        return tenant.connection
    }
}
