import Foundation
import Itinera
import Logging
import PostgresNIO

/// A fresh, migrated database and a running pool on it, for one test.
public struct TestDatabase: Sendable {
    public let settings: DatabaseSettings
    public let client: PQPool
    public let migrations: MigrationSet
    public let logger: Logger
    /// Where the test's tenant exports are written; removed when the test ends.
    public let exportDirectory: String
    /// The most connections `client` opens.
    public let connections: Int

    /// Creates a database, applies the control migrations, and runs `body` with a pool of at most
    /// `connections` connections.
    public static func with<Result: Sendable>(
        connections: Int = 8,
        migrations: MigrationSet? = nil,
        _ body: @Sendable (TestDatabase) async throws -> Result
    ) async throws -> Result {
        let settings = try await TestCluster.shared.makeDatabase()
        let migrations = try migrations ?? MigrationSet.embedded()
        let logger = testLogger
        // Migrate on a pool of its own: the application role's default search path, set by the first
        // migration, reaches only connections opened after it.
        try await withRunningClient(try settings.makeClient(connections: 2, logger: logger)) { client in
            _ = try await Migrator(client: client, migrations: migrations, logger: logger).run()
        }
        let client = try settings.makeClient(connections: connections, logger: logger)
        let exports = FileManager.default.temporaryDirectory
            .appendingPathComponent("itinera-exports-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: exports) }
        return try await withRunningClient(client) { client in
            try await body(
                TestDatabase(
                    settings: settings, client: client, migrations: migrations, logger: logger,
                    exportDirectory: exports, connections: connections))
        }
    }

    /// A pool on the same database that is not running yet, for an application that runs its own.
    public func unstartedClient(connections: Int = 8) throws -> PQPool {
        try settings.makeClient(connections: connections, logger: logger)
    }

    /// The application parts a test server is built from, with a cheap bcrypt cost.
    public func parts(_ adjust: (inout ServerConfiguration) -> Void = { _ in }) -> ApplicationParts {
        var configuration = ServerConfiguration()
        configuration.bcryptCost = 4
        configuration.port = 0
        configuration.exportDirectory = exportDirectory
        // The waits are generous, as the suites share two cores (`DatabaseDeadlineTests` hold the
        // defaults).
        configuration.databaseConnections = connections
        configuration.databaseWait = .seconds(60)
        configuration.readinessDeadline = .seconds(30)
        adjust(&configuration)
        return ApplicationParts(
            configuration: configuration, client: client,
            migrations: migrations, logger: logger,
            keyUsage: APIKeyUsage(client: client, logger: logger))
    }

    /// One value from a single-row, single-column query.
    public func scalar<Value: PostgresDecodable & Sendable>(_ query: PQStatement, as type: Value.Type) async throws
        -> Value?
    {
        let rows = try await client.query(query, logger: logger)
        for try await value in rows.decode(Value.self) { return value }
        return nil
    }
}

extension TestDatabase {
    /// What exists of tenants in the database and the cluster: control rows, tenant schemas and roles.
    public struct Footprint: Equatable, Sendable {
        public var tenants: Int
        public var users: Int
        public var sessions: Int
        public var schemas: Int
        public var roles: [String]

        public init(tenants: Int, users: Int, sessions: Int, schemas: Int, roles: [String]) {
            self.tenants = tenants
            self.users = users
            self.sessions = sessions
            self.schemas = schemas
            self.roles = roles
        }
    }

    /// Counts the tenants' traces, with roles limited to those named after this database's schemas
    /// or `extraRoles` (roles are cluster-wide and other tests make their own).
    public func footprint(roles names: [String] = []) async throws -> Footprint {
        let roles = try await client.query(
            "SELECT rolname FROM pg_roles WHERE rolname = ANY(\(names)) ORDER BY rolname",
            logger: logger
        )
        var found: [String] = []
        for try await name in roles.decode(String.self) { found.append(name) }
        return Footprint(
            tenants: try await scalar("SELECT count(*) FROM itinera.tenants", as: Int.self) ?? -1,
            users: try await scalar("SELECT count(*) FROM itinera.users", as: Int.self) ?? -1,
            sessions: try await scalar("SELECT count(*) FROM itinera.sessions", as: Int.self) ?? -1,
            schemas: try await scalar(
                "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 't\\_%'",
                as: Int.self
            ) ?? -1,
            roles: found
        )
    }
}

/// Warnings and errors only, so a test run's output stays readable.
public let testLogger: Logger = {
    var logger = Logger(label: "itinera-tests")
    logger.logLevel = .warning
    return logger
}()

extension TestDatabase {
    /// Runs `body` in the tenant with this slug, as its own role.
    public func inTenant<Result: Sendable>(
        _ slug: String,
        isolation: TransactionIsolation = .readCommitted,
        _ body: (TenantConnection) async throws -> Result
    ) async throws -> Result {
        let rows = try await client.query(
            "SELECT id, schema_name, role_name FROM itinera.tenants WHERE slug = \(slug)", logger: logger)
        for try await (id, schema, role) in rows.decode((UUID, String, String).self) {
            return try await TenantTransaction.run(
                client, tenant: TenantIdentity(id: id, schema: schema, role: role), logger: logger,
                isolation: isolation,
                body)
        }
        throw TestSupportError("no tenant \(slug)")
    }

    /// Rows in one of the tenant's tables (a name written in the test), read as the tenant's role.
    public func tenantCount(_ table: String, tenant slug: String) async throws -> Int {
        try await inTenant(slug) { tenant in
            for try await count in try await tenant.query("SELECT count(*)::int FROM \(unescaped: table)").decode(
                Int.self)
            {
                return count
            }
            return -1
        }
    }
}
