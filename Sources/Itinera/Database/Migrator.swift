import Foundation
public import Logging
public import PostgresNIO

/// Brings the control schema and then every tenant schema to the latest version.
///
/// Control migrations are recorded in `itinera.schema_migrations`; each tenant's version lives in
/// its `itinera.tenants` row, so finding the tenants behind is one indexed query, not a probe of
/// every schema. Each tenant migrates in its own transaction: a failing tenant is reported and the
/// rest carry on, and running again resumes where the last run stopped.
public struct Migrator: Sendable {
    let client: PQPool
    let migrations: MigrationSet
    let logger: Logger

    public init(client: PQPool, migrations: MigrationSet, logger: Logger) {
        self.client = client
        self.migrations = migrations
        self.logger = logger
    }

    /// What a migration run did, or would do with `dryRun`.
    public struct Report: Sendable {
        public var controlApplied: [Migration] = []
        public var tenants: [TenantOutcome] = []

        public var failedTenants: [TenantOutcome] { tenants.filter { $0.error != nil } }
        public var changedNothing: Bool { controlApplied.isEmpty && tenants.isEmpty }
    }

    /// One tenant's result.
    public struct TenantOutcome: Sendable {
        public let slug: String
        public let fromVersion: Int
        public let toVersion: Int
        public let error: String?
    }

    /// Where the database stands against this binary's migrations.
    public struct Status: Sendable, Equatable {
        public let controlVersion: Int
        public let pendingControl: Int
        public let tenantsBehind: Int

        public var isCurrent: Bool { pendingControl == 0 && tenantsBehind == 0 }
    }

    /// Applies everything pending: control first, then tenants, `jobs` at a time.
    public func run(jobs: Int = 4, dryRun: Bool = false, lockTimeout: Duration = .seconds(5)) async throws -> Report {
        var report = Report()
        report.controlApplied = try await migrateControl(dryRun: dryRun)
        if dryRun, !report.controlApplied.isEmpty, try await controlVersion() == 0 {
            return report  // nothing to list tenants from until the control schema exists
        }
        report.tenants = try await migrateTenants(jobs: jobs, dryRun: dryRun, lockTimeout: lockTimeout)
        return report
    }

    /// The applied control version, pending control migrations and tenants behind.
    public func status() async throws -> Status {
        let applied = try await controlVersion()
        var behind = 0
        if applied > 0 {
            let rows = try await client.query(
                "SELECT count(*) FROM itinera.tenants WHERE schema_version < \(migrations.latestTenantVersion)",
                logger: logger
            )
            for try await count in rows.decode(Int.self) { behind = count }
        }
        return Status(
            controlVersion: applied,
            pendingControl: max(0, migrations.latestControlVersion - applied),
            tenantsBehind: behind
        )
    }

    func controlVersion() async throws -> Int {
        let exists = try await client.query(
            "SELECT to_regclass('itinera.schema_migrations') IS NOT NULL",
            logger: logger
        )
        for try await present in exists.decode(Bool.self) where !present { return 0 }
        let rows = try await client.query(
            "SELECT coalesce(max(version), 0) FROM itinera.schema_migrations",
            logger: logger
        )
        for try await version in rows.decode(Int.self) { return version }
        return 0
    }

    /// Creates the `itinera` schema, its ledger and the script runner, once.
    func bootstrap() async throws {
        try await client.transaction(logger: logger) { connection in
            try await connection.execute("SELECT pg_advisory_xact_lock(\(Self.lockKey))", logger: logger)
            try await connection.execute("CREATE SCHEMA IF NOT EXISTS itinera", logger: logger)
            try await connection.execute(
                """
                CREATE TABLE IF NOT EXISTS itinera.schema_migrations (
                    version     integer PRIMARY KEY,
                    name        text NOT NULL,
                    checksum    text NOT NULL,
                    applied_at  timestamptz NOT NULL DEFAULT now()
                )
                """,
                logger: logger
            )
            // Runs a whole multi-statement script server-side, so a migration or a tenant's
            // provisioning DDL costs one round trip; callable only by the application role.
            try await connection.execute(
                """
                CREATE OR REPLACE FUNCTION itinera.run_script(script text) RETURNS void
                LANGUAGE plpgsql AS $$ BEGIN EXECUTE script; END $$
                """,
                logger: logger
            )
            try await connection.execute(
                "REVOKE ALL ON FUNCTION itinera.run_script(text) FROM PUBLIC",
                logger: logger
            )
        }
    }

    static let lockKey = 0x1714_e2a0

    func migrateControl(dryRun: Bool) async throws -> [Migration] {
        let alreadyBootstrapped = try await controlVersion() > 0
        if !alreadyBootstrapped && dryRun { return migrations.control }
        try await bootstrap()
        var applied: [Migration] = []
        for migration in migrations.control {
            let didApply = try await client.transaction(logger: logger) { connection -> Bool in
                try await connection.execute("SELECT pg_advisory_xact_lock(\(Self.lockKey))", logger: logger)
                let rows = try await connection.query(
                    "SELECT checksum FROM itinera.schema_migrations WHERE version = \(migration.version)",
                    logger: logger
                )
                var recorded: String?
                for try await checksum in rows.decode(String.self) { recorded = checksum }
                if let recorded {
                    guard recorded == migration.checksum else {
                        throw MigrationError.checksumMismatch(version: migration.version, name: migration.name)
                    }
                    return false
                }
                if dryRun { return true }
                try await connection.runScript(migration.sql, logger: logger)
                try await connection.execute(
                    """
                    INSERT INTO itinera.schema_migrations (version, name, checksum)
                    VALUES (\(migration.version), \(migration.name), \(migration.checksum))
                    """,
                    logger: logger
                )
                return true
            }
            if didApply {
                applied.append(migration)
                logger.info(
                    dryRun ? "Would apply control migration" : "Applied control migration",
                    metadata: ["version": "\(migration.version)", "name": "\(migration.name)"]
                )
            }
        }
        let version = try await controlVersion()
        if version > migrations.latestControlVersion {
            throw MigrationError.databaseAhead(applied: version, known: migrations.latestControlVersion)
        }
        return applied
    }

    struct TenantRow: Sendable {
        let slug: String
        let identity: TenantIdentity
        let version: Int
    }

    func tenantsBehind() async throws -> [TenantRow] {
        let rows = try await client.query(
            """
            SELECT id, slug, schema_name, role_name, schema_version FROM itinera.tenants
            WHERE schema_version < \(migrations.latestTenantVersion) ORDER BY slug
            """,
            logger: logger
        )
        var tenants: [TenantRow] = []
        for try await (id, slug, schema, role, version) in rows.decode((UUID, String, String, String, Int).self) {
            tenants.append(
                TenantRow(slug: slug, identity: TenantIdentity(id: id, schema: schema, role: role), version: version))
        }
        return tenants
    }

    func migrateTenants(jobs: Int, dryRun: Bool, lockTimeout: Duration) async throws -> [TenantOutcome] {
        if !dryRun { try await upgradeSpares() }
        let pending = try await tenantsBehind()
        let latest = migrations.latestTenantVersion
        if dryRun {
            return pending.map { TenantOutcome(slug: $0.slug, fromVersion: $0.version, toVersion: latest, error: nil) }
        }
        var outcomes: [TenantOutcome] = []
        try await withThrowingTaskGroup(of: TenantOutcome?.self) { group in
            var queue = pending.makeIterator()
            for _ in 0..<max(1, jobs) {
                guard let tenant = queue.next() else { break }
                group.addTask { try await migrate(tenant, lockTimeout: lockTimeout) }
            }
            while let outcome = try await group.next() {
                if let outcome { outcomes.append(outcome) }
                if let tenant = queue.next() {
                    group.addTask { try await migrate(tenant, lockTimeout: lockTimeout) }
                }
            }
        }
        return outcomes.sorted { $0.slug < $1.slug }
    }

    /// Brings spare tenant schemas (see `SpareSchemaPool`) to the latest version; a spare that fails
    /// is dropped from the pool's table and left for an operator, since no tenant depends on it.
    func upgradeSpares() async throws {
        let latest = migrations.latestTenantVersion
        let rows = try await client.query(
            "SELECT schema_name, role_name, schema_version FROM itinera.spare_schemas WHERE schema_version < \(latest)",
            logger: logger
        )
        var spares: [(String, String, Int)] = []
        for try await row in rows.decode((String, String, Int).self) { spares.append(row) }
        for (schema, role, version) in spares {
            do {
                try await client.transaction(logger: logger) { connection in
                    try await TenantSchemaScript.upgrade(
                        schema: schema, role: role, from: version, migrations: migrations, on: connection,
                        logger: logger)
                    try await connection.execute(
                        "UPDATE itinera.spare_schemas SET schema_version = \(latest) WHERE schema_name = \(schema)",
                        logger: logger
                    )
                }
            } catch {
                logger.warning(
                    "A spare tenant schema could not be migrated; it is no longer offered",
                    metadata: ["schema": "\(schema)", "error": "\(Self.describe(error))"])
                try await client.execute(
                    "DELETE FROM itinera.spare_schemas WHERE schema_name = \(schema)", logger: logger)
            }
        }
    }

    /// Migrates one tenant; `nil` when another migrator got there first.
    func migrate(_ tenant: TenantRow, lockTimeout: Duration) async throws -> TenantOutcome? {
        let latest = migrations.latestTenantVersion
        let timeout = "\(Int(lockTimeout.milliseconds))ms"
        do {
            let from = try await client.transaction(logger: logger) { connection -> Int? in
                try await connection.execute("SELECT set_config('lock_timeout', \(timeout), true)", logger: logger)
                let rows = try await connection.query(
                    "SELECT schema_version FROM itinera.tenants WHERE id = \(tenant.identity.id) FOR UPDATE",
                    logger: logger
                )
                var current: Int?
                for try await version in rows.decode(Int.self) { current = version }
                guard let current, current < latest else { return nil }
                try await TenantSchemaScript.upgrade(
                    schema: tenant.identity.schema,
                    role: tenant.identity.role,
                    from: current,
                    migrations: migrations,
                    on: connection,
                    logger: logger
                )
                try await connection.execute(
                    "UPDATE itinera.tenants SET schema_version = \(latest) WHERE id = \(tenant.identity.id)",
                    logger: logger
                )
                return current
            }
            guard let from else { return nil }
            logger.info(
                "Migrated tenant",
                metadata: ["tenant": "\(tenant.slug)", "from": "\(from)", "to": "\(latest)"]
            )
            return TenantOutcome(slug: tenant.slug, fromVersion: from, toVersion: latest, error: nil)
        } catch {
            let message = Self.describe(error)
            logger.error("Tenant migration failed", metadata: ["tenant": "\(tenant.slug)", "error": "\(message)"])
            return TenantOutcome(slug: tenant.slug, fromVersion: tenant.version, toVersion: latest, error: message)
        }
    }

    /// The server's own message for a database error, which says what went wrong far better than the
    /// driver's generic description.
    static func describe(_ error: any Error) -> String {
        if let psql = error as? PQError {
            let message = psql.message
            return message
        }
        return "\(error)"
    }
}
