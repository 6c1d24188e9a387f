import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ItineraTestSupport
import Testing

@testable import Itinera

/// The console's reading pages against the real database: customer search and the one view with
/// its timeline, the complaints queue with its clocks, the audit log.
@Suite struct ConsoleReadsTests {
    @Test func test_customersComplaintsAndTheAuditLog_showWhatTheAPIReads() async throws {
        try await TestDatabase.with { db in
            try await Application(router: try buildRouter(db.parts { $0.jobWorkers = 0 })).test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "conreads")
                for (index, name) in ["Wei Zhang", "Li Na"].enumerated() {
                    let made = try await client.send(
                        .post, "/v1/orders",
                        json: [
                            "customer": ["email": "c\(index)@example.com", "name": name], "amount_minor": 128_800,
                            "currency": "CNY", "product": ["name": "Dali 3 days"], "ordered_at": "2026-10-01T00:00:00Z",
                        ], token: tenant.token, headers: [HTTPField.Name("Idempotency-Key")!: "o\(index)"])
                    #expect(made.status == .created)
                }
                let customer = try JSON.object(
                    try await client.send(.get, "/v1/customers?query=Wei", token: tenant.token).body)
                let id = try #require((customer["items"] as? [[String: Any]])?.first?["id"] as? String)
                _ = try await client.send(
                    .post, "/v1/complaints",
                    json: ["customer_id": id, "channel": "phone", "category": "guide", "summary": "Late guide."],
                    token: tenant.token)
                let key = try await client.send(
                    .post, "/v1/api-keys", json: ["name": "Booking engine", "scopes": ["orders:write"]],
                    token: tenant.token)
                #expect(key.status == .created)
                let owner = try await ConsoleTierEditorTests.signIn(
                    client, tenant: tenant.slug, email: "owner@\(tenant.slug).example",
                    password: "correct horse battery")

                let found = String(
                    buffer: try await client.execute(uri: "/console/customers?query=Wei", method: .get, headers: owner)
                        .body)
                #expect(found.contains("Wei Zhang") && !found.contains("Li Na"))
                #expect(found.contains("href=\"/console/customers/\(id)\""))
                let view = String(
                    buffer: try await client.execute(uri: "/console/customers/\(id)", method: .get, headers: owner).body
                )
                #expect(view.contains("<h1>Wei Zhang</h1>") && view.contains("CN¥1,288.00"), "\(view)")
                // The order's time on the tenant's clock: 00:00Z is 08:00 in Shanghai.
                #expect(view.contains(">2026-10-01 08:00<") && !view.contains("2026-10-01T00:00:00Z"), "\(view)")
                #expect(view.contains(">order<") && view.contains(">complaint<"), "\(view)")

                // Li Na merged into Wei Zhang from Wei Zhang's page.
                let other = try JSON.object(
                    try await client.send(.get, "/v1/customers?query=Li", token: tenant.token).body)
                let otherID = try #require((other["items"] as? [[String: Any]])?.first?["id"] as? String)
                let merged = try await ConsoleSignInTests.post(
                    client, "/console/customers/\(id)/merge",
                    "csrf=\(ConsoleTierEditorTests.csrf(view))&other_id=\(otherID)",
                    headers: owner)
                #expect(merged.status == .seeOther, "\(String(buffer: merged.body))")
                let survivor = String(
                    buffer: try await client.execute(uri: "/console/customers/\(id)", method: .get, headers: owner).body
                )
                #expect(survivor.contains("CN¥2,576.00") && survivor.contains(">merge<"), "\(survivor)")
                let itself = try await ConsoleSignInTests.post(
                    client, "/console/customers/\(id)/merge",
                    "csrf=\(ConsoleTierEditorTests.csrf(view))&other_id=\(id)",
                    headers: owner)
                #expect(
                    itself.status == .unprocessableContent && String(buffer: itself.body).contains("role=\"alert\""))

                let queue = String(
                    buffer: try await client.execute(uri: "/console/complaints", method: .get, headers: owner).body)
                #expect(queue.contains(">guide<") && queue.contains("data-column=\"first_response_due_at\""))
                let late = String(
                    buffer: try await client.execute(
                        uri: "/console/complaints?breached=true", method: .get, headers: owner
                    )
                    .body)
                #expect(!late.contains(">guide<"))

                let audit = String(
                    buffer: try await client.execute(uri: "/console/audit", method: .get, headers: owner).body)
                #expect(audit.contains("<h1>Audit log</h1>") && audit.contains(">api_key.create<"), "\(audit)")
            }
        }
    }
}
