import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ItineraTestSupport
import Testing

@testable import Itinera

/// Campaigns in the console against the real database: a marketer's launch and the results with the
/// uplift drawn; an analyst sees no Launch button and a launch they post is refused.
@Suite struct ConsoleCampaignTests {
    @Test func test_aCampaignIsLaunchedFromTheConsole_andItsResultsShow_butNotByAnAnalyst() async throws {
        try await TestDatabase.with { db in
            try await Application(router: try buildRouter(db.parts { $0.jobWorkers = 0 })).test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "concamp")
                _ = try await client.send(
                    .put, "/v1/message-templates/back",
                    json: ["channel": "email", "purpose": "marketing", "subject": "Back", "body": "Come back"],
                    token: tenant.token)
                try await db.inTenant(tenant.slug) { connection in
                    try await connection.execute(
                        """
                        WITH c AS (
                            INSERT INTO customers (name, order_count, total_spent_minor, first_order_at, last_order_at)
                            SELECT 'Lapsed ' || n, 1, 40000, now() - interval '120 days', now() - interval '120 days'
                            FROM generate_series(1, 200) n RETURNING id
                        )
                        INSERT INTO consents (customer_id, channel, purpose, granted, recorded_at, source)
                        SELECT id, 'email', 'marketing', true, now(), 'test' FROM c
                        """)
                }
                let made = try JSON.object(
                    try await client.send(
                        .post, "/v1/campaigns",
                        json: [
                            "name": "Back to Lijiang", "audience": ["lapsed_days_min": 90], "channel": "email",
                            "template": "back", "holdout_percent": 20, "attribution_days": 30,
                        ], token: tenant.token
                    ).body)
                let id = try #require(made["id"] as? String)
                let owner = try await ConsoleTierEditorTests.signIn(
                    client, tenant: tenant.slug, email: "owner@\(tenant.slug).example",
                    password: "correct horse battery")
                let list = String(
                    buffer: try await client.execute(uri: "/console/campaigns", method: .get, headers: owner).body)
                #expect(list.contains("href=\"/console/campaigns/\(id)\""))
                let draft = String(
                    buffer: try await client.execute(uri: "/console/campaigns/\(id)", method: .get, headers: owner).body
                )
                #expect(draft.contains("data-campaign-state=\"draft\"") && draft.contains("/launch\""))
                let audience = try await ConsoleSignInTests.post(
                    client, "/console/campaigns/\(id)/preview", "csrf=\(ConsoleTierEditorTests.csrf(draft))",
                    headers: owner)
                #expect(String(buffer: audience.body).contains("data-figure=\"audience\">200<"))
                let launched = try await ConsoleSignInTests.post(
                    client, "/console/campaigns/\(id)/launch", "csrf=\(ConsoleTierEditorTests.csrf(draft))",
                    headers: owner)
                #expect(launched.status == .seeOther)
                let running = String(
                    buffer: try await client.execute(uri: "/console/campaigns/\(id)", method: .get, headers: owner).body
                )
                #expect(running.contains("data-campaign-state=\"running\""), "\(running)")
                #expect(running.contains("data-group=\"treated\"") && running.contains("data-group=\"holdout\""))
                #expect(running.contains("data-figure=\"uplift\"") && running.contains("<circle"))
                #expect(!running.contains("/launch\""))

                let analyst = try await ConsoleTierEditorTests.invite(
                    client, tenant: tenant, email: "ana@example.com", role: "analyst")
                let second = try JSON.object(
                    try await client.send(
                        .post, "/v1/campaigns",
                        json: [
                            "name": "Second", "audience": ["lapsed_days_min": 90], "channel": "email",
                            "template": "back", "holdout_percent": 20, "attribution_days": 30,
                        ], token: tenant.token
                    ).body)
                let secondID = try #require(second["id"] as? String)
                let seen = String(
                    buffer: try await client.execute(
                        uri: "/console/campaigns/\(secondID)", method: .get, headers: analyst
                    )
                    .body)
                #expect(seen.contains("data-campaign-state=\"draft\"") && !seen.contains("/launch\""))
                // The analyst's own CSRF token (from their overview's sign-out form): the rule refuses.
                let theirs = String(
                    buffer: try await client.execute(uri: "/console", method: .get, headers: analyst).body)
                let forged = try await ConsoleSignInTests.post(
                    client, "/console/campaigns/\(secondID)/launch", "csrf=\(ConsoleTierEditorTests.csrf(theirs))",
                    headers: analyst)
                #expect(forged.status == .forbidden)
                let still = try JSON.object(
                    try await client.send(.get, "/v1/campaigns/\(secondID)", token: tenant.token).body)
                #expect(still["state"] as? String == "draft")
            }
        }
    }
}

/// A campaign created from the console's form; a form the API refuses shows why; an analyst has no
/// form.
@Suite struct ConsoleCampaignFormTests {
    @Test func test_aCampaignIsCreatedFromTheForm_andARefusalShowsItsReason() async throws {
        try await TestDatabase.with { db in
            try await Application(router: try buildRouter(db.parts { $0.jobWorkers = 0 })).test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "concampform")
                _ = try await client.send(
                    .put, "/v1/message-templates/back",
                    json: ["channel": "email", "purpose": "marketing", "subject": "Back", "body": "Come back"],
                    token: tenant.token)
                let owner = try await ConsoleTierEditorTests.signIn(
                    client, tenant: tenant.slug, email: "owner@\(tenant.slug).example",
                    password: "correct horse battery")
                let list = String(
                    buffer: try await client.execute(uri: "/console/campaigns", method: .get, headers: owner).body)
                #expect(list.contains("action=\"/console/campaigns\""))
                let fields =
                    "name=Back+to+Dali&lapsed_days_min=90&lapsed_days_max=&template=back&holdout_percent=10"
                    + "&attribution_days=30&gift=A+free+airport+pick-up&channel=email"
                let made = try await ConsoleSignInTests.post(
                    client, "/console/campaigns", "csrf=\(ConsoleTierEditorTests.csrf(list))&\(fields)", headers: owner)
                #expect(made.status == .seeOther, "\(String(buffer: made.body))")
                let location = try #require(made.headers[.location])
                let page = String(buffer: try await client.execute(uri: location, method: .get, headers: owner).body)
                #expect(page.contains("<h1>Back to Dali</h1>") && page.contains("data-campaign-state=\"draft\""))
                let campaigns = try JSON.object(try await client.send(.get, "/v1/campaigns", token: tenant.token).body)
                let saved = try #require((campaigns["items"] as? [[String: Any]])?.first)
                #expect((saved["offer"] as? [String: Any])?["gift"] as? String == "A free airport pick-up")

                let refused = try await ConsoleSignInTests.post(
                    client, "/console/campaigns",
                    "csrf=\(ConsoleTierEditorTests.csrf(list))&\(fields.replacingOccurrences(of: "template=back", with: "template=nothing"))",
                    headers: owner)
                #expect(refused.status == .notFound && String(buffer: refused.body).contains("role=\"alert\""))

                let analyst = try await ConsoleTierEditorTests.invite(
                    client, tenant: tenant, email: "ana@example.com", role: "analyst")
                let seen = String(
                    buffer: try await client.execute(uri: "/console/campaigns", method: .get, headers: analyst).body)
                #expect(!seen.contains("action=\"/console/campaigns\""))
            }
        }
    }
}
