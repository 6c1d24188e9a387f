import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ItineraTestSupport
import Testing

@testable import Itinera

/// The tier editor against the real database: the preview's counts before saving, the save and its
/// job, the chart after; an analyst sees no buttons and a post of theirs is refused.
@Suite struct ConsoleTierEditorTests {
    static func signIn(_ client: some TestClientProtocol, tenant: String, email: String, password: String)
        async throws -> HTTPFields
    {
        let response = try await ConsoleSignInTests.post(
            client, "/console/sign-in",
            "tenant=\(tenant)&email=\(email.replacingOccurrences(of: "@", with: "%40"))&password=\(password.replacingOccurrences(of: " ", with: "+"))&language=en"
        )
        let cookie = try #require(response.headers[values: .setCookie].first { $0.hasPrefix("itinera_console=its_") })
        return [.cookie: String(cookie.prefix { $0 != ";" })]
    }

    /// Invites a user with `role`, who accepts and signs in to the console; their cookie.
    static func invite(_ client: some TestClientProtocol, tenant: SignedUpTenant, email: String, role: String)
        async throws -> HTTPFields
    {
        let invited = try JSON.object(
            try await client.send(
                .post, "/v1/users", json: ["email": email, "name": "Invited", "role": role], token: tenant.token
            ).body)
        let invitation = try #require((invited["invitation"] as? [String: Any])?["token"] as? String)
        _ = try await client.send(
            .post, "/v1/invitations/accept", json: ["token": invitation, "password": "a long enough password"])
        return try await signIn(client, tenant: tenant.slug, email: email, password: "a long enough password")
    }

    static func csrf(_ html: String) -> String {
        html.firstRange(of: "name=\"csrf\" value=\"").map { String(html[$0.upperBound...].prefix(64)) } ?? ""
    }

    /// The form as the page shows it, with `changes` made (`t<i>.<field>` names).
    static func form(_ html: String, _ changes: [String: String]) -> String {
        var fields: [(String, String)] = []
        var rest = Substring(html)
        while let input = rest.range(of: "<input id=\"t") {
            let tag = rest[input.lowerBound...].prefix { $0 != ">" }
            let name = tag.firstRange(of: "name=\"").map { String(tag[$0.upperBound...].prefix { $0 != "\"" }) } ?? ""
            let value = tag.firstRange(of: "value=\"").map { String(tag[$0.upperBound...].prefix { $0 != "\"" }) } ?? ""
            fields.append((name, changes[name] ?? value.replacingOccurrences(of: "&amp;", with: "&")))
            rest = rest[input.upperBound...]
        }
        return fields.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }
            .joined(separator: "&")
    }

    @Test func test_theTierEditor_previewsSavesAndReevaluates_andAnAnalystCanNeither() async throws {
        try await TestDatabase.with { db in
            let parts = db.parts { $0.jobWorkers = 0 }
            try await Application(router: try buildRouter(parts)).test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "tiers")
                let program = try await LoyaltyJobTestsSupport.programme(client, tenant: tenant)
                let owner = try await Self.signIn(
                    client, tenant: tenant.slug, email: "owner@\(tenant.slug).example",
                    password: "correct horse battery")
                let editor = try await client.execute(
                    uri: "/console/programs/\(program)/tiers", method: .get, headers: owner)
                let html = String(buffer: editor.body)
                #expect(editor.status == .ok, "\(html)")
                #expect(html.contains("value=\"save\"") && html.contains("value=\"preview\""))
                let codes = html.ranges(of: "name=\"t").count
                #expect(codes > 0)
                // Diamond, the top tier, down to one order.
                let top = try #require(
                    (0..<20).first { html.contains("name=\"t\($0).code\" value=\"diamond\"") })
                let lowered = Self.form(html, ["t\(top).min_orders": "1", "t\(top).min_average_order_minor": ""])
                let csrf = Self.csrf(html)

                let preview = try await ConsoleSignInTests.post(
                    client, "/console/programs/\(program)/tiers", "\(lowered)&csrf=\(csrf)&action=preview",
                    headers: owner)
                let previewed = String(buffer: preview.body)
                #expect(preview.status == .ok, "\(previewed)")
                #expect(previewed.contains("data-figure=\"evaluated\">3<"), "\(previewed)")
                // All three members would be Diamond: the two Gold ones and the one below every tier.
                #expect(previewed.contains("data-move=\"gold&gt;diamond\">2<"), "\(previewed)")
                #expect(previewed.contains("data-move=\"-&gt;diamond\">1<"), "\(previewed)")

                let saved = try await ConsoleSignInTests.post(
                    client, "/console/programs/\(program)/tiers", "\(lowered)&csrf=\(csrf)&action=save", headers: owner)
                #expect(saved.status == .seeOther, "\(String(buffer: saved.body))")
                let jobPage = try #require(saved.headers[.location])
                #expect(jobPage.hasPrefix("/console/jobs/"))
                let waiting = try await client.execute(uri: jobPage, method: .get, headers: owner)
                #expect(String(buffer: waiting.body).contains("data-job-state=\"queued\""))
                #expect(waiting.headers[HTTPField.Name("Refresh")!] == "1")
                _ = try await makeJobWorker(parts, schedules: false).drain()
                let done = try await client.execute(uri: jobPage, method: .get, headers: owner)
                #expect(String(buffer: done.body).contains("data-job-state=\"succeeded\""))
                let after = String(
                    buffer: try await client.execute(
                        uri: "/console/programs/\(program)/tiers", method: .get, headers: owner
                    ).body)
                #expect(after.contains(">Diamond</text>") && after.contains("y=\"17\" font-size=\"13\">3</text>"))

                // An analyst: no buttons, and a forged save is refused by the operation's rule.
                let analyst = try await Self.invite(client, tenant: tenant, email: "ana@example.com", role: "analyst")
                let seen = String(
                    buffer: try await client.execute(
                        uri: "/console/programs/\(program)/tiers", method: .get, headers: analyst
                    ).body)
                #expect(seen.contains("value=\"preview\"") && !seen.contains("value=\"save\""))
                let forged = try await ConsoleSignInTests.post(
                    client, "/console/programs/\(program)/tiers", "\(lowered)&csrf=\(Self.csrf(seen))&action=save",
                    headers: analyst)
                #expect(forged.status == .forbidden)
            }
        }
    }
}

/// A programme with the template's tiers and three members of 1, 2 and 3 orders.
enum LoyaltyJobTestsSupport {
    static func programme(_ client: some TestClientProtocol, tenant: SignedUpTenant) async throws -> String {
        let created = try await client.send(
            .post, "/v1/programs",
            json: [
                "name": "Club", "points_per_currency_unit": 1, "tier_window": ["kind": "rolling_days", "days": 365],
            ],
            token: tenant.token)
        #expect(created.status == .created, "\(String(buffer: created.body))")
        for (customer, count) in [(1, 1), (2, 2), (3, 3)] {
            for index in 0..<count {
                let response = try await client.send(
                    .post, "/v1/orders",
                    json: [
                        "customer": ["phone": "1390000000\(customer)"], "amount_minor": 400_000, "currency": "CNY",
                        "product": ["name": "Tour"],
                        "ordered_at": ISO8601DateFormatter().string(
                            from: Date().addingTimeInterval(-Double(index + 2) * 3_600)),
                    ], token: tenant.token, headers: [HTTPField.Name("Idempotency-Key")!: "\(customer)-\(index)"])
                #expect(response.status == .created, "\(String(buffer: response.body))")
            }
        }
        return try JSON.object(created.body)["id"] as? String ?? ""
    }
}
