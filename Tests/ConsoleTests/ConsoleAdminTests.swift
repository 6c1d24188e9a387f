import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ItineraTestSupport
import Testing

@testable import Itinera

/// The console's administration pages against the real database: a webhook endpoint's delivery log
/// and the replay of a delivery (an owner may, an agent neither sees it nor gets it by posting),
/// API keys and users.
@Suite struct ConsoleAdminTests {
    @Test func test_theDeliveryLog_andItsReplay_keysAndUsers() async throws {
        try await TestDatabase.with { db in
            let parts = db.parts {
                $0.jobWorkers = 0
                $0.webhooks.allowPrivate = true
            }
            try await Application(router: try buildRouter(parts)).test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "conadmin")
                let endpoint = try JSON.object(
                    try await client.send(
                        .post, "/v1/webhook-endpoints",
                        json: ["url": "https://127.0.0.1:9/hooks", "event_types": ["order.created"]],
                        token: tenant.token
                    ).body)
                let id = try #require(endpoint["id"] as? String)
                let order = try await client.send(
                    .post, "/v1/orders",
                    json: [
                        "customer": ["email": "a@example.com"], "amount_minor": 100, "currency": "CNY",
                        "product": ["name": "Ticket"], "ordered_at": "2026-10-01T00:00:00Z",
                    ], token: tenant.token, headers: [HTTPField.Name("Idempotency-Key")!: "o"])
                #expect(order.status == .created)
                _ = try await client.send(
                    .post, "/v1/api-keys", json: ["name": "Booking engine", "scopes": ["orders:write"]],
                    token: tenant.token)
                let owner = try await ConsoleTierEditorTests.signIn(
                    client, tenant: tenant.slug, email: "owner@\(tenant.slug).example",
                    password: "correct horse battery")

                let endpoints = String(
                    buffer: try await client.execute(uri: "/console/webhooks", method: .get, headers: owner).body)
                #expect(
                    endpoints.contains("https://127.0.0.1:9/hooks") && endpoints.contains("/console/webhooks/\(id)"))
                let log = String(
                    buffer: try await client.execute(uri: "/console/webhooks/\(id)", method: .get, headers: owner).body)
                #expect(log.components(separatedBy: ">order.created<").count == 2, "\(log)")
                let action = try #require(
                    log.firstRange(of: "action=\"/console/webhooks/\(id)/deliveries/").map {
                        String(log[$0.lowerBound...].dropFirst("action=\"".count).prefix { $0 != "\"" })
                    })
                let replayed = try await ConsoleSignInTests.post(
                    client, action, "csrf=\(ConsoleTierEditorTests.csrf(log))", headers: owner)
                #expect(replayed.status == .seeOther)
                let after = String(
                    buffer: try await client.execute(uri: "/console/webhooks/\(id)", method: .get, headers: owner).body)
                #expect(after.components(separatedBy: ">order.created<").count == 3)

                let keys = String(
                    buffer: try await client.execute(uri: "/console/api-keys", method: .get, headers: owner).body)
                #expect(keys.contains("Booking engine") && keys.contains("orders:write"))
                let users = String(
                    buffer: try await client.execute(uri: "/console/users", method: .get, headers: owner).body)
                #expect(users.contains("owner@\(tenant.slug).example"))

                let agent = try await ConsoleTierEditorTests.invite(
                    client, tenant: tenant, email: "agent@example.com", role: "agent")
                let seen = String(
                    buffer: try await client.execute(uri: "/console/webhooks/\(id)", method: .get, headers: agent).body)
                #expect(seen.contains(">order.created<") && !seen.contains("/replay\""))
                let theirs = String(
                    buffer: try await client.execute(uri: "/console", method: .get, headers: agent).body)
                let forged = try await ConsoleSignInTests.post(
                    client, action, "csrf=\(ConsoleTierEditorTests.csrf(theirs))", headers: agent)
                #expect(forged.status == .forbidden)
                let still = String(
                    buffer: try await client.execute(uri: "/console/webhooks/\(id)", method: .get, headers: owner).body)
                #expect(still.components(separatedBy: ">order.created<").count == 3)
            }
        }
    }
}
