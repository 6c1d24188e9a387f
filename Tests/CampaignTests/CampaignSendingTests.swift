import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ItineraTestSupport
import Testing

@testable import Itinera

/// Sending a campaign end to end, over a real SMTP server (aiosmtpd): the treated get the template
/// with their last trip and their own offer code, the hold-out and those without consent get nothing,
/// a pause stops the send until resumed, a consent withdrawn after the launch is obeyed, those in a
/// cool-down are not contacted by the next campaign, and delivery, clicks and redemptions are counted.
@Suite struct CampaignSendingTests {
    static let template = [
        "channel": "email", "purpose": "marketing",
        "subject": "{{customer.first_name}}, {{trip.destination}} misses you",
        "body":
            "Remember {{trip.destination}} ({{trip.start}} to {{trip.end}})? Your return gift: {{offer.benefit}}, code {{offer.code}}. Your photos: https://trips.example.com/memories/{{trip.order_id}}",
    ]

    /// A customer with an e-mail address, marketing consent when `consent`, and one trip to
    /// Lijiang ordered 120 days ago.
    static func lapsedCustomer(
        _ client: some TestClientProtocol, token: String, index: Int, consent: Bool
    ) async throws -> String {
        let email = "traveller\(index)@example.com"
        var body: [String: Any] = ["email": email, "name": "Traveller\(index) Li"]
        if consent { body["consents"] = ["email": ["granted": true, "purpose": "marketing"]] }
        let response = try await client.send(.post, "/v1/customers", json: body, token: token)
        #expect(response.status == .created, "\(String(buffer: response.body))")
        let id = try JSON.object(response.body)["id"] as? String ?? ""
        let ordered = Date().addingTimeInterval(-120 * 86_400)
        let order = try await client.send(
            .post, "/v1/orders",
            json: [
                "customer": ["id": id], "amount_minor": 40_000, "currency": "CNY",
                "product": ["name": "Lijiang 4 days", "category": "tour"], "destination": "Lijiang",
                "ordered_at": ISO8601DateFormatter().string(from: ordered), "external_id": "LJ-\(index)",
                "travel_start": "2026-07-01", "travel_end": "2026-07-04",
            ], token: token, headers: [HTTPField.Name("Idempotency-Key")!: "lj-\(index)"])
        #expect(order.status == .created, "\(String(buffer: order.body))")
        return id
    }

    @Test func test_theTreatedGetTheirTripAndCode_theHoldoutAndTheUnconsentedNothing() async throws {
        let smtp = try await SMTPServerProcess()
        defer { smtp.stop() }
        try await TestDatabase.with { db in
            let parts = db.parts(MessageTesting.configure(smtp: smtp.port))
            let app = Application(router: try buildRouter(parts))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "wbsend")
                let token = tenant.token
                #expect(
                    try await client.send(.put, "/v1/message-templates/back", json: Self.template, token: token)
                        .status == .created)
                let offer = try JSON.object(
                    try await client.send(
                        .post, "/v1/offers",
                        json: [
                            "name": "Welcome back", "benefit": "¥200 off", "code_mode": "per_recipient",
                            "code_prefix": "BACK", "valid_until": "2030-01-01T00:00:00Z",
                        ], token: token
                    ).body)
                let offerID = try #require(offer["id"] as? String)
                var emails: [String: String] = [:]
                for index in 0..<16 {
                    let id = try await Self.lapsedCustomer(client, token: token, index: index, consent: true)
                    emails[id] = "traveller\(index)@example.com"
                }
                let consenting = Array(emails.keys)
                _ = try await Self.lapsedCustomer(client, token: token, index: 99, consent: false)
                // A template for another channel or purpose is refused, naming it.
                let wrong = try await client.send(
                    .post, "/v1/campaigns",
                    json: [
                        "name": "Back", "audience": ["lapsed_days_min": 90], "channel": "sms", "template": "back",
                        "holdout_percent": 25, "attribution_days": 30,
                    ], token: token)
                #expect(wrong.status == .unprocessableContent)
                #expect(try JSON.object(wrong.body)["field"] as? String == "template")
                let created = try await client.send(
                    .post, "/v1/campaigns",
                    json: [
                        "name": "Back to Lijiang", "audience": ["lapsed_days_min": 90], "offer": ["offer_id": offerID],
                        "channel": "email", "template": "back", "holdout_percent": 25, "attribution_days": 30,
                    ], token: token)
                #expect(created.status == .created, "\(String(buffer: created.body))")
                let campaign = try #require(try JSON.object(created.body)["id"] as? String)

                #expect(try await client.send(.post, "/v1/campaigns/\(campaign)/launch", token: token).status == .ok)
                // Paused before the send job ran: it stops without sending.
                #expect(try await client.send(.post, "/v1/campaigns/\(campaign)/pause", token: token).status == .ok)
                let worker = try makeJobWorker(parts, schedules: false)
                _ = try await worker.drain()
                #expect(smtp.messages.isEmpty)

                let groups = try await db.inTenant(tenant.slug) { connection in
                    try await connection.query(
                        "SELECT customer_id::text, grp FROM campaign_recipients WHERE campaign_id = \(Int64(campaign)!)"
                    ).collect().map { try $0.decode((String, String).self) }
                }
                #expect(Set(groups.map(\.0)) == Set(consenting))
                let treated = groups.filter { $0.1 == "treated" }.map(\.0)
                let holdout = groups.filter { $0.1 == "holdout" }.map(\.0)
                #expect(!treated.isEmpty && !holdout.isEmpty)
                // One of the treated withdraws consent after the launch, before the send.
                let withdrawn = treated[0]
                _ = try await client.send(
                    .patch, "/v1/customers/\(withdrawn)",
                    json: ["consents": ["email": ["granted": false, "purpose": "marketing"]]], token: token)

                #expect(try await client.send(.post, "/v1/campaigns/\(campaign)/resume", token: token).status == .ok)
                _ = try await worker.drain()
                let mails = smtp.messages
                let addressed = Set(mails.flatMap(\.recipients))
                let expected = Set(treated.dropFirst().compactMap { emails[$0] })
                #expect(mails.count == treated.count - 1)
                #expect(addressed == expected)
                #expect(!addressed.contains("traveller99@example.com"))

                // Each got their own trip and their own code of the offer.
                let codes = try await db.inTenant(tenant.slug) { connection in
                    try await connection.query(
                        "SELECT customer_id::text, code, source FROM offer_codes WHERE offer_id = \(Int64(offerID)!)"
                    ).collect().map { try $0.decode((String, String, String).self) }
                }
                #expect(Set(codes.map(\.0)) == Set(treated.dropFirst()))
                #expect(codes.allSatisfy { $0.2 == "campaign:\(campaign)" })
                for mail in mails {
                    let text = mail.text
                    #expect(mail.header("Subject")?.contains("Lijiang misses you") == true)
                    #expect(
                        text.contains(
                            "Remember Lijiang (2026-07-01 to 2026-07-04)? Your return gift: ¥200 off, code BACK-"))
                    #expect(codes.contains { text.contains($0.1) })
                    #expect(text.contains("Your photos: https://crm.itinera.test/r/"))
                }

                // A redemption of the code and a click are counted for the treated.
                let first = try #require(codes.first)
                #expect(
                    try await client.send(
                        .post, "/v1/offers/\(offerID)/redeem", json: ["customer_id": first.0, "code": first.1],
                        token: token
                    ).status == .created)
                let mail = try #require(mails.first { $0.text.contains(first.1) })
                let click = try #require(MessageTesting.paths(in: mail.text, prefix: "/r/").first)
                #expect(try await client.send(.get, click).status == .found)
                let results = try JSON.object(
                    try await client.send(.get, "/v1/campaigns/\(campaign)/results", token: token).body)
                let t = results["treated"] as? [String: Any] ?? [:]
                let h = results["holdout"] as? [String: Any] ?? [:]
                #expect(t["recipients"] as? Int == treated.count && t["sent"] as? Int == treated.count - 1)
                #expect(t["clicked"] as? Int == 1 && t["redeemed"] as? Int == 1)
                #expect(h["recipients"] as? Int == holdout.count && h["sent"] as? Int == 0)

                // The CSV export: a header and one line per recipient, in customer order.
                let csv = try await client.send(.get, "/v1/campaigns/\(campaign)/recipients.csv", token: token)
                #expect(csv.status == .ok && csv.headers[.contentType]?.hasPrefix("text/csv") == true)
                let lines = String(buffer: csv.body).split(separator: "\n").map {
                    $0.split(separator: ",", omittingEmptySubsequences: false)
                }
                #expect(lines.first?.joined(separator: ",") == String(CampaignStore.csvHeader.dropLast()))
                let rows = lines.dropFirst()
                #expect(rows.count == groups.count && rows.allSatisfy { $0.count == 11 })
                #expect(rows.map { Int64($0[0]) ?? 0 } == groups.map { Int64($0.0)! }.sorted())
                let byCustomer = Dictionary(uniqueKeysWithValues: rows.map { (String($0[0]), $0) })
                #expect(byCustomer[first.0]?[6] == "true" && byCustomer[first.0]?[4] == "sent")
                #expect(byCustomer[withdrawn]?[4] == "" && byCustomer[withdrawn]?[3] != "")
                #expect(holdout.allSatisfy { byCustomer[$0]?[1] == "holdout" && byCustomer[$0]?[3] == "" })
                #expect(
                    try await client.send(.get, "/v1/campaigns/999999/recipients.csv", token: token).status == .notFound
                )

                // The next campaign finds everyone in the cool-down, and sends to no one.
                let next = try await client.send(
                    .post, "/v1/campaigns",
                    json: [
                        "name": "Back again", "audience": ["lapsed_days_min": 90], "channel": "email",
                        "template": "back", "holdout_percent": 0, "attribution_days": 30,
                    ], token: token)
                let second = try #require(try JSON.object(next.body)["id"] as? String)
                #expect(try await client.send(.post, "/v1/campaigns/\(second)/launch", token: token).status == .ok)
                _ = try await worker.drain()
                #expect(smtp.messages.count == mails.count)
            }
        }
    }
}
