import Foundation
import Hummingbird
import HummingbirdTesting
import Itinera
import ItineraTestSupport
import Testing

@Suite struct SessionTests {
    @Test func test_signIn_returnsWorkingToken_andSignOutEndsItAtOnce() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "login")
                let response = try await client.send(
                    .post, "/v1/sessions",
                    json: [
                        "tenant": tenant.slug, "email": "OWNER@\(tenant.slug).example",
                        "password": "correct horse battery",
                    ]
                )
                #expect(response.status == .created)
                let token = try #require(try JSON.object(response.body)["token"] as? String)
                #expect(token.hasPrefix("its_") && token.count == 47)
                #expect(try await client.send(.get, "/v1/tenant", token: token).status == .ok)

                #expect(try await client.send(.delete, "/v1/sessions/current", token: token).status == .noContent)
                #expect(try await client.send(.get, "/v1/tenant", token: token).status == .unauthorized)
                #expect(try await client.send(.delete, "/v1/sessions/current", token: token).status == .unauthorized)
                // The sign-up session is a different token and still works.
                #expect(try await client.send(.get, "/v1/tenant", token: tenant.token).status == .ok)
            }
        }
    }

    @Test func test_wrongTenantUserOrPassword_allGetTheSame401() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "same")
                let attempts: [[String: String]] = [
                    [
                        "tenant": "no-such-tenant", "email": "owner@\(tenant.slug).example",
                        "password": "correct horse battery",
                    ],
                    [
                        "tenant": tenant.slug, "email": "nobody@\(tenant.slug).example",
                        "password": "correct horse battery",
                    ],
                    ["tenant": tenant.slug, "email": "owner@\(tenant.slug).example", "password": "wrong password!"],
                ]
                var bodies: Set<String> = []
                for attempt in attempts {
                    let response = try await client.send(.post, "/v1/sessions", json: attempt)
                    #expect(response.status == .unauthorized)
                    var problem = try JSON.object(response.body)
                    problem["request_id"] = nil
                    bodies.insert(
                        String(
                            decoding: try JSONSerialization.data(withJSONObject: problem, options: .sortedKeys),
                            as: UTF8.self))
                }
                #expect(bodies.count == 1)
            }
        }
    }

    @Test func test_repeatedFailures_areThrottledPerAccount_with429AndRetryAfter() async throws {
        try await TestDatabase.with { db in
            let app = Application(
                router: try buildRouter(
                    db.parts { $0.loginLimits = .init(failuresPerAccount: 3, failuresPerAddress: 100) }))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "throttle")
                let wrong = [
                    "tenant": tenant.slug, "email": "owner@\(tenant.slug).example", "password": "not the password",
                ]
                for _ in 0..<3 {
                    #expect(try await client.send(.post, "/v1/sessions", json: wrong).status == .unauthorized)
                }
                let refused = try await client.send(.post, "/v1/sessions", json: wrong)
                #expect(refused.status == .tooManyRequests)
                #expect(Int(refused.headers[.retryAfter] ?? "") ?? 0 > 0)
                // Even the right password waits out the window: the throttle comes before the check.
                var right = wrong
                right["password"] = "correct horse battery"
                #expect(try await client.send(.post, "/v1/sessions", json: right).status == .tooManyRequests)
            }
        }
    }

    @Test func test_malformedOrMissingAuthorization_isA401Problem() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                for header in [
                    nil, "Basic abc", "Bearer", "Bearer its_short", "Bearer its_" + String(repeating: "A", count: 43),
                ] {
                    var headers: HTTPFields = [:]
                    if let header { headers[.authorization] = header }
                    let response = try await client.execute(uri: "/v1/tenant", method: .get, headers: headers)
                    #expect(response.status == .unauthorized, "\(header ?? "none")")
                    #expect(response.headers[.contentType] == "application/problem+json")
                    #expect(response.headers[.wwwAuthenticate] == "Bearer")
                }
            }
        }
    }

    @Test func test_expiredSession_isRefused() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "expiry")
                try await db.client.execute(
                    "UPDATE itinera.sessions SET expires_at = now() - interval '1 second'", logger: db.logger)
                #expect(try await client.send(.get, "/v1/tenant", token: tenant.token).status == .unauthorized)
            }
        }
    }

    @Test func test_suspendedTenant_getsForbidden() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "suspended")
                try await db.client.execute(
                    "UPDATE itinera.tenants SET state = 'suspended' WHERE slug = \(tenant.slug)", logger: db.logger)
                #expect(try await client.send(.get, "/v1/tenant", token: tenant.token).status == .forbidden)
            }
        }
    }
}
