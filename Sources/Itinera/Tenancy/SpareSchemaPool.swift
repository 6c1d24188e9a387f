public import Logging
public import PostgresNIO
public import ServiceLifecycle

/// Tenant schemas built ahead of sign-up.
///
/// Building a tenant's role and schema costs more as tenants accumulate: PostgreSQL 15 rebuilds the
/// application role's membership list, one entry per tenant role, after every `GRANT` (see
/// docs/decisions/0003). Sign-up therefore claims a ready schema with one row delete, and this
/// service builds replacements in the background, keeping `target` spares at the latest version.
public final class SpareSchemaPool: Service, Sendable {
    let client: PQPool
    let migrations: MigrationSet
    let target: Int
    let logger: Logger
    private let wakeUps: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation

    public init(client: PQPool, migrations: MigrationSet, target: Int, logger: Logger) {
        self.client = client
        self.migrations = migrations
        self.target = target
        self.logger = logger
        (wakeUps, wake) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Asks the service to top the pool up (after a claim, or once migrations are done).
    public func requestRefill() {
        wake.yield()
    }

    /// Refills whenever asked, and every minute in case a request was missed, until shutdown.
    public func run() async throws {
        let timer = Task { [wake] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(60))
                wake.yield()
            }
        }
        defer { timer.cancel() }
        await withGracefulShutdownHandler {
            for await _ in wakeUps.cancelOnGracefulShutdown() {
                do {
                    try await refill()
                } catch {
                    logger.warning(
                        "Building spare tenant schemas failed", metadata: ["error": "\(Migrator.describe(error))"])
                }
            }
        } onGracefulShutdown: { [wake] in
            wake.finish()
        }
    }

    /// Builds spares until `target` are ready at the latest tenant version.
    public func refill() async throws {
        while try await readyCount() < target {
            try await buildOne()
        }
    }

    func readyCount() async throws -> Int {
        let rows = try await client.query(
            "SELECT count(*) FROM itinera.spare_schemas WHERE schema_version = \(migrations.latestTenantVersion)",
            logger: logger
        )
        for try await count in rows.decode(Int.self) { return count }
        return 0
    }

    /// Builds one spare: role, schema and every tenant migration, recorded in one transaction.
    public func buildOne() async throws {
        let identity = TenantIdentity.make()
        try await client.transaction(logger: logger) { connection in
            try await TenantSchemaScript.provision(identity, migrations: migrations, on: connection, logger: logger)
            try await connection.execute(
                """
                INSERT INTO itinera.spare_schemas (schema_name, role_name, schema_version)
                VALUES (\(identity.schema), \(identity.role), \(migrations.latestTenantVersion))
                """,
                logger: logger
            )
        }
    }

    /// Takes the oldest ready spare inside the caller's transaction; `nil` when none is ready. If the
    /// transaction rolls back, the spare stays in the pool.
    static func claim(latestVersion: Int, on connection: PQConnection, logger: Logger) async throws -> (
        schema: String, role: String
    )? {
        let rows = try await connection.query(
            """
            DELETE FROM itinera.spare_schemas
            WHERE schema_name = (
                SELECT schema_name FROM itinera.spare_schemas
                WHERE schema_version = \(latestVersion)
                ORDER BY created_at
                LIMIT 1
                FOR UPDATE SKIP LOCKED
            )
            RETURNING schema_name, role_name
            """,
            logger: logger
        )
        var claimed: (String, String)?
        for try await row in rows.decode((String, String).self) { claimed = row }
        return claimed
    }
}
