import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ItineraTestSupport
import Testing

@testable import Itinera

/// Community offers against the real database with real concurrent requests.
@Suite struct OfferTests {
    static func offer(_ client: some TestClientProtocol, token: String, _ fields: [String: Any]) async throws
        -> [String: Any]
    {
        var body: [String: Any] = [
            "name": "Lijiang return gift", "benefit": "¥200 off", "code_mode": "single", "code_prefix": "LJ",
            "valid_until": "2030-01-01T00:00:00Z",
        ]
        body.merge(fields) { _, given in given }
        let response = try await client.send(.post, "/v1/offers", json: body, token: token)
        #expect(response.status == .created, "\(String(buffer: response.body))")
        return try JSON.object(response.body)
    }

    /// 50 concurrent redemptions (25 customers, two each) of an offer limited to 10 in all and 1 per
    /// customer: exactly 10 succeed, none twice for one customer, and the offer's count agrees.
    @Test func test_50ConcurrentRedemptions_ofAnOfferLimitedTo10_andOnePerCustomer() async throws {
        try await TestDatabase.with(connections: 20) { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "offer")
                let people = try await RegistrationTests.customers(25, db: db, tenant: tenant.slug)
                let offer = try await Self.offer(client, token: tenant.token, ["max_redemptions": 10])
                let id = offer["id"] as! String
                let code = offer["code"] as! String
                #expect(code.range(of: "^LJ-[0-9A-HJKMNP-TV-Z]{10}$", options: .regularExpression) != nil)
                let answers = try await withThrowingTaskGroup(of: (String, Int, String).self) { group in
                    for person in people + people {
                        group.addTask {
                            let response = try await RegistrationTests.retrying {
                                try await client.send(
                                    .post, "/v1/offers/\(id)/redeem", json: ["customer_id": person, "code": code],
                                    token: tenant.token)
                            }
                            let condition = try JSON.object(response.body)["condition"] as? String ?? ""
                            return (person, response.status.code, condition)
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                let won = answers.filter { $0.1 == 201 }
                #expect(won.count == 10)
                #expect(Set(won.map(\.0)).count == 10)
                #expect(answers.filter { $0.1 != 201 }.allSatisfy { $0.1 == 409 })
                #expect(
                    Set(answers.filter { $0.1 == 409 }.map(\.2)).isSubset(of: ["max_redemptions", "per_customer_limit"])
                )
                let rows = try await db.inTenant(tenant.slug) { connection in
                    try await connection.query(
                        """
                        SELECT (SELECT count(*) FROM offer_redemptions)::int,
                               (SELECT count(DISTINCT customer_id) FROM offer_redemptions)::int, redeemed_count
                        FROM offers WHERE id = \(Int64(id)!)
                        """
                    ).first!.decode((Int, Int, Int).self)
                }
                #expect(rows == (10, 10, 10))
            }
        }
    }

    /// Per-recipient codes: issued once per customer, redeemable only by that customer with that
    /// code; a community-only offer refuses outsiders; an idempotent retry answers the first
    /// redemption; redemptions are on the timeline and in the outbox.
    @Test func test_perRecipientCodes_gates_andAnIdempotentRetry() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "codes")
                let people = try await RegistrationTests.customers(2, db: db, tenant: tenant.slug)
                let club =
                    try JSON.object(
                        try await client.send(
                            .post, "/v1/communities", json: ["name": "Returners", "visibility": "open"],
                            token: tenant.token
                        ).body)["id"] as! String
                _ = try await client.send(
                    .post, "/v1/communities/\(club)/members", json: ["customer_id": people[0]], token: tenant.token)
                let offer = try await Self.offer(
                    client, token: tenant.token,
                    ["code_mode": "per_recipient", "code_prefix": "BACK", "community_id": club])
                let id = offer["id"] as! String
                #expect(offer["code"] == nil)
                let issued = try await client.send(
                    .post, "/v1/offers/\(id)/codes", json: ["customer_id": people[0]], token: tenant.token)
                #expect(issued.status == .created)
                let code = try JSON.object(issued.body)["code"] as! String
                let again = try await client.send(
                    .post, "/v1/offers/\(id)/codes", json: ["customer_id": people[0]], token: tenant.token)
                #expect(again.status == .ok)
                #expect(try JSON.object(again.body)["code"] as? String == code)
                let otherCode =
                    try JSON.object(
                        try await client.send(
                            .post, "/v1/offers/\(id)/codes", json: ["customer_id": people[1]], token: tenant.token
                        ).body)["code"] as! String

                func redeem(_ person: String, _ code: String, key: String? = nil) async throws -> TestResponse {
                    try await client.send(
                        .post, "/v1/offers/\(id)/redeem", json: ["customer_id": person, "code": code],
                        token: tenant.token, headers: key.map { [HTTPField.Name("Idempotency-Key")!: $0] } ?? [:])
                }
                let outsider = try await redeem(people[1], otherCode)
                #expect(outsider.status == .forbidden)
                #expect(try JSON.object(outsider.body)["condition"] as? String == "community_membership")
                let wrong = try await redeem(people[0], otherCode)
                #expect(wrong.status == .conflict)
                #expect(try JSON.object(wrong.body)["condition"] as? String == "code")
                let first = try await redeem(people[0], code.lowercased(), key: "gate-1")
                #expect(first.status == .created, "\(String(buffer: first.body))")
                let retried = try await redeem(people[0], code.lowercased(), key: "gate-1")
                #expect(retried.status == .created)
                #expect(try JSON.object(retried.body)["id"] as? String == JSON.object(first.body)["id"] as? String)
                let twice = try await redeem(people[0], code)
                #expect(twice.status == .conflict)
                #expect(try JSON.object(twice.body)["condition"] as? String == "per_customer_limit")
                #expect(try await db.tenantCount("offer_redemptions", tenant: tenant.slug) == 1)
                let view = try JSON.object(try await client.send(.get, "/v1/offers/\(id)", token: tenant.token).body)
                #expect(view["redeemed_count"] as? Int == 1)

                let timeline = try JSON.object(
                    try await client.send(.get, "/v1/customers/\(people[0])/timeline", token: tenant.token).body)
                #expect(
                    (timeline["items"] as? [[String: Any]] ?? []).contains {
                        $0["kind"] as? String == "offer_redemption"
                    })
                let types = try await db.inTenant(tenant.slug) { connection in
                    try await connection.query(
                        "SELECT type FROM outbox_events WHERE type LIKE 'offer.%' ORDER BY position"
                    ).collect().map { try $0.decode(String.self) }
                }
                #expect(types == ["offer.code_issued", "offer.code_issued", "offer.redeemed"])
            }
        }
    }

    /// An offer before its validity window, and one past it, refuse a redemption naming `validity`,
    /// and nothing is counted.
    @Test func test_outsideItsValidityWindow_anOfferIsNotRedeemed() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "offval")
                let customer =
                    try JSON.object(
                        try await client.send(
                            .post, "/v1/customers", json: ["email": "v@example.com"], token: tenant.token
                        )
                        .body)["id"] as! String
                let later = try await Self.offer(
                    client, token: tenant.token,
                    ["valid_from": "2029-01-01T00:00:00Z", "valid_until": "2030-01-01T00:00:00Z"])
                let past = try await Self.offer(client, token: tenant.token, [:])
                // The second offer's window closes: its end is moved into the past in the database.
                try await db.inTenant(tenant.slug) { connection in
                    try await connection.execute(
                        """
                        UPDATE offers SET valid_from = now() - interval '2 days', valid_until = now() - interval '1 day'
                        WHERE id = \(Int64(past["id"] as! String)!)
                        """)
                }
                for (offer, words) in [(later, "is valid from 2029-01-01"), (past, "expired at")] {
                    let refused = try await client.send(
                        .post, "/v1/offers/\(offer["id"] as! String)/redeem",
                        json: ["customer_id": customer, "code": offer["code"] as! String], token: tenant.token)
                    #expect(refused.status == .conflict)
                    let problem = try JSON.object(refused.body)
                    #expect(problem["condition"] as? String == "validity")
                    #expect((problem["detail"] as? String)?.contains(words) == true, "\(problem)")
                }
                let counted = try await db.inTenant(tenant.slug) { connection in
                    try await connection.query(
                        "SELECT (SELECT count(*) FROM offer_redemptions)::int + (SELECT sum(redeemed_count) FROM offers)::int"
                    ).first?.decode(Int.self)
                }
                #expect(counted == 0)
            }
        }
    }
}
