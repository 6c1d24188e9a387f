import Foundation
import Hummingbird
import HummingbirdTesting
import Itinera
import ItineraTestSupport
import PostgresNIO
import Testing

@Suite struct TenantIsolationTests {
    static func provision(_ db: TestDatabase, slug: String) async throws -> Tenant {
        let provisioner = TenantProvisioner(
            client: db.client, migrations: db.migrations, sessionLifetime: .seconds(600), logger: db.logger)
        return try await provisioner.provision(validSignUp(slug: slug), ownerPasswordHash: sampleOwnerPasswordHash)
            .tenant
    }

    static func sqlState(of error: any Error) -> String? {
        return (error as? PQError)?.sqlState
    }

    @Test func test_outsideTenantTransaction_noTenantTableIsVisible() async throws {
        try await TestDatabase.with { db in
            let tenant = try await Self.provision(db, slug: "alpha")
            // Unqualified: the login role's search path is an empty schema, so the table is not found.
            do {
                try await db.client.execute("SELECT * FROM tenant_settings", logger: db.logger)
                Issue.record("an unqualified tenant table was visible outside a tenant transaction")
            } catch {
                #expect(Self.sqlState(of: error) == "42P01")
            }
            // Qualified: the login role holds no privileges of its own on tenant schemas.
            do {
                try await db.client.execute(
                    "SELECT * FROM \(unescaped: tenant.identity.schema).tenant_settings", logger: db.logger)
                Issue.record("a tenant table was readable by the login role outside a tenant transaction")
            } catch {
                #expect(Self.sqlState(of: error) == "42501")
            }
            // And nothing can be created without a tenant context: the empty schema grants nothing,
            // so there is no schema to create in.
            do {
                try await db.client.execute("CREATE TABLE stray (id int)", logger: db.logger)
                Issue.record("a table was created without a tenant context")
            } catch {
                #expect(Self.sqlState(of: error) == "3F000")
            }
        }
    }

    @Test func test_underTenantARole_readingTenantBSchema_isPermissionDenied() async throws {
        try await TestDatabase.with { db in
            let a = try await Self.provision(db, slug: "tenant-a")
            let b = try await Self.provision(db, slug: "tenant-b")
            let own = try await TenantTransaction.run(db.client, tenant: a.identity, logger: db.logger) { tenant in
                try await TenantSettingsStore.settings(on: tenant)
            }
            #expect(String(decoding: own, as: UTF8.self) == "{}")
            do {
                try await TenantTransaction.run(db.client, tenant: a.identity, logger: db.logger) { tenant in
                    try await tenant.execute("SELECT * FROM \(unescaped: b.identity.schema).tenant_settings")
                }
                Issue.record("tenant A's role read tenant B's schema")
            } catch {
                #expect(Self.sqlState(of: error) == "42501")
            }
        }
    }

    @Test func test_auditTrail_isAppendOnlyForTheTenantRole() async throws {
        try await TestDatabase.with { db in
            let tenant = try await Self.provision(db, slug: "audited")
            try await TenantTransaction.run(db.client, tenant: tenant.identity, logger: db.logger) { tenant in
                try await AuditLog.record(
                    AuditEvent(
                        actorType: "system", actorID: nil, action: "test", targetType: "tenant", targetID: nil,
                        before: nil, after: nil),
                    on: tenant
                )
            }
            for statement: PQStatement in [
                "UPDATE audit_events SET action = 'forged'", "DELETE FROM audit_events", "TRUNCATE audit_events",
            ] {
                do {
                    try await TenantTransaction.run(db.client, tenant: tenant.identity, logger: db.logger) { tenant in
                        try await tenant.execute(statement)
                    }
                    Issue.record("the tenant role could run \(statement.sql)")
                } catch {
                    #expect(Self.sqlState(of: error) == "42501", "\(statement.sql)")
                }
            }
        }
    }

    @Test func test_interleavedRequestsOfTwoTenantsOverTwoConnections_neverSeeTheOtherTenant() async throws {
        try await TestDatabase.with(connections: 2) { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let a = try await client.signUp(slugPrefix: "iso-a")
                let b = try await client.signUp(slugPrefix: "iso-b")
                for tenant in [a, b] {
                    let patched = try await client.send(
                        .patch, "/v1/tenant", json: ["settings": ["marker": tenant.slug]], token: tenant.token)
                    #expect(patched.status == .ok)
                }
                let total = 1_000
                let mismatches = try await withThrowingTaskGroup(of: Int.self) { group in
                    var next = 0
                    func add() {
                        let tenant = next % 2 == 0 ? a : b
                        next += 1
                        group.addTask {
                            let response = try await client.send(.get, "/v1/tenant", token: tenant.token)
                            let body = try JSON.object(response.body)
                            let marker = (body["settings"] as? [String: Any])?["marker"] as? String
                            let ok =
                                response.status == .ok && body["slug"] as? String == tenant.slug
                                && marker == tenant.slug
                            return ok ? 0 : 1
                        }
                    }
                    for _ in 0..<32 { add() }
                    var mismatches = 0
                    while let result = try await group.next() {
                        mismatches += result
                        if next < total { add() }
                    }
                    return mismatches
                }
                #expect(mismatches == 0)
            }
        }
    }
}
