import Foundation
import Itinera
import ItineraTestSupport
import PostgresNIO
import Testing

@Suite struct MigratorTests {
    static func withExtraTenantMigration() throws -> MigrationSet {
        try MigrationSet.embeddedPlusProbe()
    }

    static func provision(_ db: TestDatabase, count: Int) async throws -> [Tenant] {
        let provisioner = TenantProvisioner(
            client: db.client, migrations: db.migrations, sessionLifetime: .seconds(60), logger: db.logger)
        return try await withThrowingTaskGroup(of: Tenant.self) { group in
            for index in 0..<count {
                group.addTask {
                    try await provisioner.provision(
                        validSignUp(slug: String(format: "m-%04d", index)), ownerPasswordHash: sampleOwnerPasswordHash
                    ).tenant
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }.sorted { $0.slug < $1.slug }
        }
    }

    @Test func test_migrateTwice_secondRunChangesNothingAndSaysSo() async throws {
        try await TestDatabase.with { db in
            _ = try await Self.provision(db, count: 3)
            let migrator = Migrator(client: db.client, migrations: db.migrations, logger: db.logger)
            let again = try await migrator.run()
            #expect(again.changedNothing)
            #expect(try await migrator.status().isCurrent)
        }
    }

    @Test func test_migrate200Tenants_withOneFailing_migratesTheOthersReportsTheFailureAndResumes() async throws {
        try await TestDatabase.with(connections: 6) { db in
            let tenants = try await Self.provision(db, count: 200)
            let broken = tenants[117]
            // Give one tenant a table in the way of the next migration.
            try await TenantTransaction.run(db.client, tenant: broken.identity, logger: db.logger) { tenant in
                try await tenant.execute("SET LOCAL ROLE itinera_tenant_owner")
                try await tenant.execute("CREATE TABLE probe (note text)")
            }
            let migrations = try Self.withExtraTenantMigration()
            let migrator = Migrator(client: db.client, migrations: migrations, logger: db.logger)
            #expect(try await migrator.status().tenantsBehind == 200)

            let first = try await migrator.run(jobs: 4)
            #expect(first.tenants.count == 200)
            #expect(first.failedTenants.map(\.slug) == [broken.slug])
            #expect(first.failedTenants.first?.error?.contains("already exists") == true)
            #expect(
                try await db.scalar(
                    "SELECT count(*) FROM itinera.tenants WHERE schema_version = \(migrations.latestTenantVersion)",
                    as: Int.self
                ) == 199)

            // A second run touches only the tenant still behind; once it is mended, it catches up.
            let second = try await migrator.run(jobs: 4)
            #expect(second.tenants.map(\.slug) == [broken.slug])
            try await TenantTransaction.run(db.client, tenant: broken.identity, logger: db.logger) { tenant in
                try await tenant.execute("SET LOCAL ROLE itinera_tenant_owner")
                try await tenant.execute("DROP TABLE probe")
            }
            let third = try await migrator.run(jobs: 4)
            #expect(third.tenants.map(\.slug) == [broken.slug])
            #expect(third.failedTenants.isEmpty)
            #expect(try await migrator.status().isCurrent)
            #expect(try await migrator.run().changedNothing)

            // The new table reached every tenant, owned by the tenant owner and usable by the tenant.
            let probe = try await TenantTransaction.run(db.client, tenant: tenants[3].identity, logger: db.logger) {
                tenant in
                let rows = try await tenant.query("SELECT id FROM probe")
                var ids: [Int] = []
                for try await id in rows.decode(Int.self) { ids.append(id) }
                return ids
            }
            #expect(probe == [1])
        }
    }

    @Test func test_dryRun_reportsPendingWorkAndChangesNothing() async throws {
        try await TestDatabase.with { db in
            _ = try await Self.provision(db, count: 2)
            let migrator = Migrator(
                client: db.client, migrations: try Self.withExtraTenantMigration(), logger: db.logger)
            let report = try await migrator.run(dryRun: true)
            #expect(report.tenants.count == 2)
            #expect(try await migrator.status().tenantsBehind == 2)
        }
    }

    @Test func test_editedControlMigration_isRefused() async throws {
        try await TestDatabase.with { db in
            let embedded = try MigrationSet.embedded()
            var control = embedded.control
            let first = control[0]
            control[0] = Migration(
                scope: .control, version: first.version, name: first.name, sql: first.sql + "\n-- edited")
            let migrator = Migrator(
                client: db.client, migrations: try MigrationSet(control: control, tenant: embedded.tenant),
                logger: db.logger)
            await #expect(throws: MigrationError.self) { _ = try await migrator.run() }
        }
    }

    @Test func test_migrationSet_refusesGapsInVersions() {
        let a = Migration(scope: .tenant, version: 1, name: "a", sql: "")
        let c = Migration(scope: .tenant, version: 3, name: "c", sql: "")
        #expect(throws: MigrationError.self) { _ = try MigrationSet(control: [], tenant: [a, c]) }
    }
}
