import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ItineraTestSupport
import Testing

@testable import Itinera

/// A member in the console against the real database: found from the customer's view, points
/// adjusted with a reason and on the ledger; an analyst neither sees the form nor gets it by posting.
@Suite struct ConsoleMemberTests {
    @Test func test_pointsAreAdjustedFromTheMembersPage_notByAnAnalyst() async throws {
        try await TestDatabase.with { db in
            try await Application(router: try buildRouter(db.parts { $0.jobWorkers = 0 })).test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "conmember")
                _ = try await LoyaltyJobTestsSupport.programme(client, tenant: tenant)
                let customers = try JSON.object(try await client.send(.get, "/v1/customers", token: tenant.token).body)
                let customer = try #require((customers["items"] as? [[String: Any]])?.first?["id"] as? String)
                let owner = try await ConsoleTierEditorTests.signIn(
                    client, tenant: tenant.slug, email: "owner@\(tenant.slug).example",
                    password: "correct horse battery")
                let view = String(
                    buffer: try await client.execute(
                        uri: "/console/customers/\(customer)", method: .get, headers: owner
                    )
                    .body)
                let member = try #require(
                    view.firstRange(of: "href=\"/console/members/").map {
                        String(view[$0.upperBound...].prefix { $0 != "\"" })
                    })
                let page = String(
                    buffer: try await client.execute(uri: "/console/members/\(member)", method: .get, headers: owner)
                        .body)
                let before = try #require(
                    page.firstRange(of: "data-figure=\"balance\">").map {
                        Int(page[$0.upperBound...].prefix { $0 != "<" })
                    }
                        ?? nil)
                let adjusted = try await ConsoleSignInTests.post(
                    client, "/console/members/\(member)/points",
                    "csrf=\(ConsoleTierEditorTests.csrf(page))&points=500&reason=Goodwill+after+a+late+bus",
                    headers: owner)
                #expect(adjusted.status == .seeOther, "\(String(buffer: adjusted.body))")
                let after = String(
                    buffer: try await client.execute(uri: "/console/members/\(member)", method: .get, headers: owner)
                        .body)
                #expect(after.contains("data-figure=\"balance\">\(before + 500)<"))
                #expect(after.contains("Goodwill after a late bus") && after.contains(">adjust<"))
                let zero = try await ConsoleSignInTests.post(
                    client, "/console/members/\(member)/points",
                    "csrf=\(ConsoleTierEditorTests.csrf(page))&points=0&reason=x",
                    headers: owner)
                #expect(zero.status == .unprocessableContent && String(buffer: zero.body).contains("role=\"alert\""))

                let analyst = try await ConsoleTierEditorTests.invite(
                    client, tenant: tenant, email: "ana@example.com", role: "analyst")
                let seen = String(
                    buffer: try await client.execute(uri: "/console/members/\(member)", method: .get, headers: analyst)
                        .body)
                #expect(seen.contains("data-figure=\"balance\"") && !seen.contains("/points\""))
                let theirs = String(
                    buffer: try await client.execute(uri: "/console", method: .get, headers: analyst).body)
                let forged = try await ConsoleSignInTests.post(
                    client, "/console/members/\(member)/points",
                    "csrf=\(ConsoleTierEditorTests.csrf(theirs))&points=500&reason=Mine", headers: analyst)
                #expect(forged.status == .forbidden)
            }
        }
    }
}
