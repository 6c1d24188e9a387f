import Foundation
import Hummingbird
import HummingbirdTesting
import Itinera
import ItineraTestSupport
import PostgresNIO
import Testing

@Suite struct SignUpTests {
    static func body(
        slug: String, kind: String = "agency", timezone: String = "Asia/Shanghai", currency: String = "CNY",
        email: String = "owner@example.com", password: String = "correct horse battery"
    ) -> [String: Any] {
        [
            "tenant": ["name": "Acme", "slug": slug, "kind": kind, "timezone": timezone, "currency": currency],
            "owner": ["email": email, "password": password, "name": "Olive Owner"],
        ]
    }

    @Test func test_signUp_createsTenantSchemaRoleOwnerAndWorkingSession() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let response = try await client.send(
                    .post, "/v1/signup", json: Self.body(slug: "acme-travel", kind: "scenic_area"))
                #expect(response.status == .created)
                let body = try JSON.object(response.body)
                let tenant = try #require(body["tenant"] as? [String: Any])
                #expect(tenant["slug"] as? String == "acme-travel")
                #expect(tenant["kind"] as? String == "scenic_area")
                #expect((body["user"] as? [String: Any])?["role"] as? String == "owner")
                let token = try #require((body["session"] as? [String: Any])?["token"] as? String)

                let me = try await client.send(.get, "/v1/tenant", token: token)
                #expect(me.status == .ok)
                #expect(try JSON.object(me.body)["id"] as? String == tenant["id"] as? String)

                let schema = try #require(
                    try await db.scalar("SELECT schema_name FROM itinera.tenants", as: String.self))
                let footprint = try await db.footprint(roles: [schema])
                #expect(footprint == .init(tenants: 1, users: 1, sessions: 1, schemas: 1, roles: [schema]))
                let canLogin = try await db.scalar(
                    "SELECT rolcanlogin FROM pg_roles WHERE rolname = \(schema)", as: Bool.self)
                #expect(canLogin == false)
            }
        }
    }

    @Test func test_badSignUp_is422NamingFieldAndCreatesNothing_thenValidSignUpWithSlugSucceeds() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let bad: [(String, [String: Any])] = [
                    ("tenant.slug", Self.body(slug: "Not A Slug")),
                    ("tenant.kind", Self.body(slug: "retry-me", kind: "cruise_line")),
                    ("tenant.timezone", Self.body(slug: "retry-me", timezone: "Asia/Atlantis")),
                    ("tenant.currency", Self.body(slug: "retry-me", currency: "ABC")),
                    ("owner.email", Self.body(slug: "retry-me", email: "owner-at-example")),
                    ("owner.password", Self.body(slug: "retry-me", password: "123456789")),
                ]
                for (field, body) in bad {
                    let response = try await client.send(.post, "/v1/signup", json: body)
                    #expect(response.status == .unprocessableContent, "\(field)")
                    #expect(response.headers[.contentType] == "application/problem+json")
                    let problem = try JSON.object(response.body)
                    #expect(problem["field"] as? String == field)
                    #expect((problem["detail"] as? String)?.isEmpty == false)
                }
                #expect(try await db.footprint() == .init(tenants: 0, users: 0, sessions: 0, schemas: 0, roles: []))

                let retry = try await client.send(.post, "/v1/signup", json: Self.body(slug: "retry-me"))
                #expect(retry.status == .created)
            }
        }
    }

    @Test func test_takenSlug_is409AndLeavesFirstTenantAlone() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                #expect(try await client.send(.post, "/v1/signup", json: Self.body(slug: "taken")).status == .created)
                let again = try await client.send(
                    .post, "/v1/signup", json: Self.body(slug: "taken", email: "other@example.com"))
                #expect(again.status == .conflict)
                #expect(try JSON.object(again.body)["field"] as? String == "tenant.slug")
                #expect(try await db.footprint().tenants == 1)
                #expect(try await db.footprint().schemas == 1)
            }
        }
    }

    @Test func test_concurrentSignUpsForOneSlug_makeExactlyOneTenant() async throws {
        try await TestDatabase.with(connections: 10) { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                    for index in 0..<10 {
                        group.addTask {
                            // A loser waits on the winner's unique-index entry; on two busy cores that
                            // can outlast the lock timeout, and the answer is then a 503 to retry.
                            for _ in 0..<5 {
                                let status = try await client.send(
                                    .post, "/v1/signup", json: Self.body(slug: "race", email: "o\(index)@example.com")
                                ).status
                                if status != .serviceUnavailable { return status }
                            }
                            return .serviceUnavailable
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(statuses.filter { $0 == .created }.count == 1)
                #expect(statuses.filter { $0 == .conflict }.count == 9, "\(statuses)")
                let footprint = try await db.footprint()
                #expect(footprint.tenants == 1 && footprint.schemas == 1 && footprint.users == 1)
            }
        }
    }

    @Test(arguments: TenantProvisioner.Step.allCases)
    func test_failureAtAnyProvisioningStep_leavesNoSchemaRoleOrRow(_ step: TenantProvisioner.Step) async throws {
        try await TestDatabase.with { db in
            let failing = TenantProvisioner(
                client: db.client, migrations: db.migrations, sessionLifetime: .seconds(60), logger: db.logger,
                failAfter: step
            )
            let identity = TenantIdentity.make()
            await #expect(throws: TenantProvisioner.InjectedFailure(after: step)) {
                _ = try await failing.provision(
                    validSignUp(slug: "faulty"), ownerPasswordHash: sampleOwnerPasswordHash, identity: identity
                )
            }
            #expect(
                try await db.footprint(roles: [identity.role])
                    == .init(tenants: 0, users: 0, sessions: 0, schemas: 0, roles: []))

            let working = TenantProvisioner(
                client: db.client, migrations: db.migrations, sessionLifetime: .seconds(60), logger: db.logger
            )
            let result = try await working.provision(
                validSignUp(slug: "faulty"), ownerPasswordHash: sampleOwnerPasswordHash)
            #expect(result.tenant.slug == "faulty")
            #expect(try await db.footprint().schemas == 1)
        }
    }

    @Test func test_defaultConfiguration_hashesPasswordsWithBcryptCostTwelve() async throws {
        try await TestDatabase.with { db in
            let app = Application(
                router: try buildRouter(db.parts { $0.bcryptCost = ServerConfiguration().bcryptCost }))
            try await app.test(.router) { client in
                _ = try await client.signUp()
                let hash = try #require(try await db.scalar("SELECT password_hash FROM itinera.users", as: String.self))
                #expect(hash.hasPrefix("$2b$12$") || hash.hasPrefix("$2a$12$") || hash.hasPrefix("$2y$12$"))
            }
        }
    }
}
