import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ItineraTestSupport
import Testing

@testable import Itinera

/// The console's forms for communities, events, offers and touchpoint rules against the real
/// database: what a form creates is what the API then reads (times on the tenant's clock), a value
/// the API refuses comes back with the API's reason, markup typed into a form is shown as text, and
/// an analyst neither sees the forms nor may post them.
@Suite struct ConsoleCommunityFormTests {
    @Test func test_communitiesEventsOffersAndRules_areCreatedFromTheirForms() async throws {
        try await TestDatabase.with { db in
            try await Application(router: try buildRouter(db.parts { $0.jobWorkers = 0 })).test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "conform")
                let owner = try await ConsoleTierEditorTests.signIn(
                    client, tenant: tenant.slug, email: "owner@\(tenant.slug).example",
                    password: "correct horse battery")
                func page(_ path: String, _ headers: HTTPFields = [:]) async throws -> String {
                    String(buffer: try await client.execute(uri: path, method: .get, headers: headers).body)
                }
                func post(_ path: String, _ fields: [String: String], _ headers: HTTPFields) async throws
                    -> TestResponse
                {
                    let csrf = ConsoleTierEditorTests.csrf(try await page("/console/events", headers))
                    var allowed = CharacterSet.alphanumerics
                    allowed.insert(charactersIn: "-._")
                    let body = (fields.merging(["csrf": csrf]) { a, _ in a }).map {
                        "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")"
                    }.joined(separator: "&")
                    return try await ConsoleSignInTests.post(client, path, body, headers: headers)
                }

                // A community; the name's markup is text on every page.
                let communities = try await page("/console/communities", owner)
                #expect(communities.contains("action=\"/console/communities\""))
                let created = try await post(
                    "/console/communities",
                    ["name": "<b>Lijiang</b> hikers", "description": "Walks & talks", "visibility": "open"], owner)
                #expect(created.status == .seeOther)
                let location = try #require(created.headers[.location])
                let community = String(location.dropFirst("/console/communities/".count))
                let shown = try await page(location, owner)
                #expect(shown.contains("&lt;b&gt;Lijiang&lt;/b&gt; hikers") && !shown.contains("<b>Lijiang"))
                #expect(shown.contains("Walks &amp; talks"))
                let listed = try JSON.object(
                    try await client.send(.get, "/v1/communities/\(community)", token: tenant.token).body)
                #expect(
                    listed["name"] as? String == "<b>Lijiang</b> hikers" && listed["visibility"] as? String == "open")

                // An event of that community at 19:30 on the tenant's clock (Asia/Shanghai, UTC+8).
                let event = try await post(
                    "/console/events",
                    [
                        "title": "Tea tasting", "kind": "meetup", "starts_at": "2026-12-20T19:30",
                        "ends_at": "2026-12-20T21:30", "capacity": "20", "community_id": community, "state": "open",
                    ], owner)
                #expect(event.status == .seeOther)
                let eventID = String(try #require(event.headers[.location]).dropFirst("/console/events/".count))
                let read = try JSON.object(
                    try await client.send(.get, "/v1/events/\(eventID)", token: tenant.token).body)
                #expect(read["starts_at"] as? String == "2026-12-20T11:30:00Z")
                #expect(read["starts_at_local"] as? String == "2026-12-20T19:30")
                #expect(read["capacity"] as? Int == 20 && read["community_id"] as? String == community)
                #expect(read["state"] as? String == "open")
                #expect(try await page("/console/communities/\(community)", owner).contains("Tea tasting"))
                // An end before the start: the API's 422 and its reason, and nothing written.
                let backwards = try await post(
                    "/console/events",
                    [
                        "title": "Backwards", "kind": "meetup", "starts_at": "2026-12-20T19:30",
                        "ends_at": "2026-12-20T18:30", "state": "open",
                    ], owner)
                #expect(backwards.status == .unprocessableContent)
                #expect(String(buffer: backwards.body).contains("role=\"alert\">ends_at"))
                let garbled = try await post(
                    "/console/events",
                    ["title": "Garbled", "kind": "meetup", "starts_at": "soon", "ends_at": "later", "state": "open"],
                    owner)
                #expect(garbled.status == .unprocessableContent)
                #expect(String(buffer: garbled.body).contains("starts_at is a date and time"))
                let events = try JSON.object(try await client.send(.get, "/v1/events", token: tenant.token).body)
                #expect((events["items"] as? [Any])?.count == 1)

                // An offer.
                let offer = try await post(
                    "/console/offers",
                    [
                        "name": "Return gift", "benefit": "¥200 off", "code_mode": "single", "code_prefix": "BACK",
                        "valid_until": "2027-01-31T23:59", "max_redemptions": "500",
                    ], owner)
                #expect(offer.status == .seeOther)
                let offers = try JSON.object(try await client.send(.get, "/v1/offers", token: tenant.token).body)
                let first = try #require((offers["items"] as? [[String: Any]])?.first)
                #expect(first["benefit"] as? String == "¥200 off" && first["max_redemptions"] as? Int == 500)
                #expect(first["valid_until"] as? String == "2027-01-31T15:59:00Z")
                let badPrefix = try await post(
                    "/console/offers",
                    [
                        "name": "x", "benefit": "y", "code_mode": "single", "code_prefix": "lower",
                        "valid_until": "2027-01-31T23:59",
                    ], owner)
                #expect(badPrefix.status == .unprocessableContent)

                // Touchpoint rules: one written in the form's empty row, the quiet hours changed.
                _ = try await client.send(
                    .put, "/v1/message-templates/guide", json: ["channel": "sms", "purpose": "service", "body": "Hi"],
                    token: tenant.token)
                #expect(try await page("/console/touchpoints", owner).contains("name=\"r0.code\""))
                let rules = try await post(
                    "/console/touchpoints",
                    [
                        "quiet_start": "22:00", "quiet_end": "07:30", "r0.code": "guide", "r0.phase": "pre",
                        "r0.offset_hours": "-48", "r0.channel": "sms", "r0.template": "guide",
                        "r0.destination": "Lijiang",
                    ], owner)
                #expect(rules.status == .seeOther)
                let saved = try JSON.object(
                    try await client.send(.get, "/v1/touchpoint-rules", token: tenant.token).body)
                let quiet = try #require(saved["quiet_hours"] as? [String: Any])
                #expect(quiet["start"] as? String == "22:00" && quiet["end"] as? String == "07:30")
                let rule = try #require((saved["rules"] as? [[String: Any]])?.first)
                #expect(rule["code"] as? String == "guide" && rule["offset_hours"] as? Int == -48)
                #expect(rule["destination"] as? String == "Lijiang" && rule["anchor"] as? String == "start")
                let badPhase = try await post(
                    "/console/touchpoints",
                    [
                        "quiet_start": "22:00", "quiet_end": "07:30", "r0.code": "guide", "r0.phase": "during",
                        "r0.offset_hours": "-48", "r0.channel": "sms", "r0.template": "guide",
                    ], owner)
                #expect(badPhase.status == .unprocessableContent)
                #expect(String(buffer: badPhase.body).contains("r0.phase is one of pre, in, post"))

                // An analyst sees no form, and a forged post is refused by the operation's rule.
                let analyst = try await ConsoleTierEditorTests.invite(
                    client, tenant: tenant, email: "ana@example.com", role: "analyst")
                #expect(!(try await page("/console/communities", analyst)).contains("<form method=\"post\""))
                #expect(!(try await page("/console/touchpoints", analyst)).contains("name=\"r0.code\""))
                let forged = try await post(
                    "/console/communities", ["name": "Forged", "visibility": "open"], analyst)
                #expect(forged.status == .forbidden)
                let all = try JSON.object(try await client.send(.get, "/v1/communities", token: tenant.token).body)
                #expect((all["items"] as? [Any])?.count == 1)
            }
        }
    }
}
