import Foundation
import Itinera
import ItineraTestSupport
import PostgresNIO
import Testing

@Suite struct SpareSchemaPoolTests {
    static func spareNames(_ db: TestDatabase) async throws -> [String] {
        let rows = try await db.client.query(
            "SELECT schema_name FROM itinera.spare_schemas ORDER BY created_at", logger: db.logger)
        var names: [String] = []
        for try await name in rows.decode(String.self) { names.append(name) }
        return names
    }

    @Test func test_signUp_claimsTheOldestReadySpare_andRefillRestoresThePool() async throws {
        try await TestDatabase.with { db in
            let pool = SpareSchemaPool(client: db.client, migrations: db.migrations, target: 2, logger: db.logger)
            try await pool.refill()
            let spares = try await Self.spareNames(db)
            #expect(spares.count == 2)

            let provisioner = TenantProvisioner(
                client: db.client, migrations: db.migrations, sessionLifetime: .seconds(60), logger: db.logger,
                spares: pool)
            let result = try await provisioner.provision(
                validSignUp(slug: "from-spare"), ownerPasswordHash: sampleOwnerPasswordHash)
            #expect(result.tenant.identity.schema == spares[0])
            #expect(try await Self.spareNames(db) == [spares[1]])

            // The claimed schema works like a built one: its tenant reads its own settings.
            let settings = try await TenantTransaction.run(db.client, tenant: result.tenant.identity, logger: db.logger)
            {
                try await TenantSettingsStore.settings(on: $0)
            }
            #expect(String(decoding: settings, as: UTF8.self) == "{}")

            try await pool.refill()
            #expect(try await Self.spareNames(db).count == 2)
        }
    }

    @Test func test_failedSignUp_returnsTheClaimedSpareToThePool() async throws {
        try await TestDatabase.with { db in
            let pool = SpareSchemaPool(client: db.client, migrations: db.migrations, target: 1, logger: db.logger)
            try await pool.refill()
            let before = try await Self.spareNames(db)
            let failing = TenantProvisioner(
                client: db.client, migrations: db.migrations, sessionLifetime: .seconds(60), logger: db.logger,
                spares: pool, failAfter: .session)
            await #expect(throws: TenantProvisioner.InjectedFailure(after: .session)) {
                _ = try await failing.provision(
                    validSignUp(slug: "rolled-back"), ownerPasswordHash: sampleOwnerPasswordHash)
            }
            #expect(try await Self.spareNames(db) == before)
            #expect(try await db.footprint().tenants == 0)
        }
    }

    @Test func test_concurrentSignUps_claimEachSpareOnce_andBuildTheRest() async throws {
        try await TestDatabase.with(connections: 10) { db in
            let pool = SpareSchemaPool(client: db.client, migrations: db.migrations, target: 3, logger: db.logger)
            try await pool.refill()
            let spares = Set(try await Self.spareNames(db))
            let provisioner = TenantProvisioner(
                client: db.client, migrations: db.migrations, sessionLifetime: .seconds(60), logger: db.logger,
                spares: pool)
            let schemas = try await withThrowingTaskGroup(of: String.self) { group in
                for index in 0..<8 {
                    group.addTask {
                        try await provisioner.provision(
                            validSignUp(slug: "burst-\(index)"), ownerPasswordHash: sampleOwnerPasswordHash
                        )
                        .tenant.identity.schema
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(Set(schemas).count == 8)
            #expect(Set(schemas).intersection(spares).count == 3)
            #expect(try await Self.spareNames(db).isEmpty)
        }
    }

    @Test func test_migrate_bringsSparesToTheLatestVersion() async throws {
        try await TestDatabase.with { db in
            let pool = SpareSchemaPool(client: db.client, migrations: db.migrations, target: 2, logger: db.logger)
            try await pool.refill()
            let migrations = try MigrationSet.embeddedPlusProbe()
            _ = try await Migrator(client: db.client, migrations: migrations, logger: db.logger).run()
            let versions = try await db.scalar(
                "SELECT array_agg(DISTINCT schema_version)::text FROM itinera.spare_schemas", as: String.self)
            #expect(versions == "{\(migrations.latestTenantVersion)}")
            // A tenant made from an upgraded spare has the new table.
            let upgraded = SpareSchemaPool(client: db.client, migrations: migrations, target: 2, logger: db.logger)
            let provisioner = TenantProvisioner(
                client: db.client, migrations: migrations, sessionLifetime: .seconds(60), logger: db.logger,
                spares: upgraded)
            let tenant = try await provisioner.provision(validSignUp(), ownerPasswordHash: sampleOwnerPasswordHash)
                .tenant
            let probe = try await TenantTransaction.run(db.client, tenant: tenant.identity, logger: db.logger) {
                tenant in
                let rows = try await tenant.query("SELECT count(*) FROM probe")
                var count = 0
                for try await value in rows.decode(Int.self) { count = value }
                return count
            }
            #expect(probe == 1)
        }
    }
}
