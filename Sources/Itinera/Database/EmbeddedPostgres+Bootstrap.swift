import Logging
import NIOPosix
public import PostgresNIO

extension EmbeddedPostgres {
    /// Creates the application role (a NOINHERIT login role that may create tenant roles) and the
    /// application database when they do not exist yet.
    public func prepareApplicationDatabase() async throws {
        try await withSuperuser { connection in
            let role = Self.applicationRole
            let roles = try await connection.query("SELECT 1 FROM pg_roles WHERE rolname = \(role)", logger: logger)
            var roleExists = false
            for try await _ in roles { roleExists = true }
            if !roleExists {
                try await connection.execute(
                    "CREATE ROLE \(unescaped: role) LOGIN NOINHERIT CREATEROLE", logger: logger)
            }
        }
        try await createDatabase(Self.applicationDatabase)
    }

    /// Creates a database owned by the application role, unless it exists.
    public func createDatabase(_ name: String) async throws {
        precondition(name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") })
        try await withSuperuser { connection in
            let databases = try await connection.query(
                "SELECT 1 FROM pg_database WHERE datname = \(name)", logger: logger)
            var exists = false
            for try await _ in databases { exists = true }
            if !exists {
                try await connection.execute(
                    "CREATE DATABASE \(unescaped: name) OWNER \(unescaped: Self.applicationRole)",
                    logger: logger
                )
            }
        }
    }

    /// Runs `body` on a connection as the cluster's superuser.
    public func withSuperuser<Result>(
        database: String = "postgres",
        _ body: (PQConnection) async throws -> Result
    ) async throws -> Result {
        let connection = try await PQConnection.connect(PQPool.keywords(for: superuserSettings(database: database)))
        return try await body(connection)
    }
}
