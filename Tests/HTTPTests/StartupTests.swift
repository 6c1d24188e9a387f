import Foundation
import Hummingbird
import HummingbirdTesting
import Itinera
import ItineraTestSupport
import Testing

@Suite struct StartupTests {
    static func app(_ db: TestDatabase, migrations: MigrationSet, migrateOnStart: Bool) throws
        -> some ApplicationProtocol
    {
        var parts = db.parts()
        parts.client = try db.unstartedClient()
        parts.migrations = migrations
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("itinera-tls-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let tls = try TLSIdentity.serverConfiguration(
            certificatePath: nil, keyPath: nil, dataDirectory: directory, logger: db.logger)
        return try buildApplication(parts, tls: tls, migrateOnStart: migrateOnStart)
    }

    static func provisionOne(_ db: TestDatabase) async throws {
        let provisioner = TenantProvisioner(
            client: db.client, migrations: db.migrations, sessionLifetime: .seconds(60), logger: db.logger)
        _ = try await provisioner.provision(validSignUp(), ownerPasswordHash: sampleOwnerPasswordHash)
    }

    @Test func test_pendingMigrations_stopTheServerFromStarting() async throws {
        try await TestDatabase.with { db in
            try await Self.provisionOne(db)
            let app = try Self.app(db, migrations: try .embeddedPlusProbe(), migrateOnStart: false)
            do {
                try await app.run()
                Issue.record("the server started with a tenant schema behind")
            } catch {
                #expect("\(error)".contains("migrations are pending"))
            }
        }
    }

    @Test func test_migrateOnStart_appliesPendingMigrationsThenServes() async throws {
        try await TestDatabase.with { db in
            try await Self.provisionOne(db)
            let migrations = try MigrationSet.embeddedPlusProbe()
            try await Self.app(db, migrations: migrations, migrateOnStart: true).test(.ahc(.https)) { client in
                let ready = try await client.send(.get, "/readyz")
                #expect(ready.status == .ok)
                #expect(try JSON.object(ready.body)["tenants_behind"] as? Int == 0)
            }
            #expect(try await Migrator(client: db.client, migrations: migrations, logger: db.logger).status().isCurrent)
        }
    }
}

@Suite struct ReadinessTests {
    @Test func test_readyz_is503WhileATenantSchemaIsBehind_and200OnceMigrated() async throws {
        try await TestDatabase.with { db in
            try await StartupTests.provisionOne(db)
            let migrations = try MigrationSet.embeddedPlusProbe()
            var parts = db.parts()
            parts.migrations = migrations
            let app = Application(router: try buildRouter(parts))
            try await app.test(.router) { client in
                let behind = try await client.send(.get, "/readyz")
                #expect(behind.status == .serviceUnavailable)
                #expect(behind.headers[.contentType] == "application/problem+json")
                let problem = try JSON.object(behind.body)
                #expect(problem["type"] as? String == "/problems/not-ready")
                #expect((problem["detail"] as? String)?.contains("1 tenant schemas behind") == true)

                _ = try await Migrator(client: db.client, migrations: migrations, logger: db.logger).run()
                #expect(try await client.send(.get, "/readyz").status == .ok)
            }
        }
    }
}
