import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ItineraTestSupport
import Testing

@testable import Itinera

/// NPS answers against the real database: the score computed exactly on a known set of answers,
/// overall and by destination, product category, tier and stage; one answer per order; the signed
/// survey link; a detractor's complaint when the tenant wants one.
@Suite struct NPSTests {
    struct Known {
        var customer: Int
        var ordered: Bool
        var score: Int
        var stage: String
    }

    /// Six customers: 0–2 Gold, 3 Silver, 4–5 no tier; orders of 0, 2 and 4 at Lijiang (tours),
    /// of 1, 3 and 5 at Dali (hotels).
    static let answers: [Known] = [
        Known(customer: 0, ordered: true, score: 10, stage: "post"),
        Known(customer: 0, ordered: false, score: 9, stage: "pre"),
        Known(customer: 1, ordered: true, score: 6, stage: "post"),
        Known(customer: 1, ordered: false, score: 8, stage: "in"),
        Known(customer: 2, ordered: true, score: 9, stage: "post"),
        Known(customer: 3, ordered: true, score: 3, stage: "post"),
        Known(customer: 3, ordered: false, score: 7, stage: "in"),
        Known(customer: 4, ordered: true, score: 10, stage: "post"),
        Known(customer: 4, ordered: false, score: 0, stage: "pre"),
        Known(customer: 5, ordered: true, score: 8, stage: "post"),
        Known(customer: 5, ordered: false, score: 10, stage: "in"),
    ]

    static func expected(_ chosen: [Known]) -> [String: Any] {
        let promoters = chosen.filter { $0.score >= 9 }.count
        let detractors = chosen.filter { $0.score <= 6 }.count
        var figures: [String: Any] = [
            "responses": chosen.count, "promoters": promoters, "detractors": detractors,
            "passives": chosen.count - promoters - detractors,
        ]
        if !chosen.isEmpty {
            figures["nps"] = (Double(promoters - detractors) * 1000 / Double(chosen.count)).rounded() / 10
        }
        return figures
    }

    static func same(_ line: [String: Any]?, _ expected: [String: Any]) -> Bool {
        guard let line else { return false }
        return ["responses", "promoters", "passives", "detractors"].allSatisfy {
            line[$0] as? Int == expected[$0] as? Int
        } && (line["nps"] as? Double) == (expected["nps"] as? Double)
    }

    static func line(_ report: [String: Any], _ list: String, _ key: String?) -> [String: Any]? {
        (report[list] as? [[String: Any]])?.first { $0["key"] as? String == key }
    }

    @Test func test_theScore_isExact_overallAndByDestinationCategoryTierAndStage() async throws {
        try await TestDatabase.with { db in
            try await Application(router: try buildRouter(db.parts { $0.jobWorkers = 0 })).test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "nps")
                var customers: [String] = []
                var orders: [String] = []
                for index in 0..<6 {
                    let made = try await client.send(
                        .post, "/v1/orders",
                        json: [
                            "customer": ["email": "c\(index)@example.com"], "amount_minor": 10_000, "currency": "CNY",
                            "product": ["name": "Trip", "category": index % 2 == 0 ? "tour" : "hotel"],
                            "destination": index % 2 == 0 ? "Lijiang" : "Dali", "ordered_at": "2026-10-01T00:00:00Z",
                            "status": "completed",
                        ], token: tenant.token, headers: [HTTPField.Name("Idempotency-Key")!: "o-\(index)"])
                    let order = try JSON.object(made.body)
                    orders.append(order["id"] as! String)
                    customers.append(order["customer_id"] as! String)
                }
                try await db.inTenant(tenant.slug) { connection in
                    try await connection.execute(
                        """
                        WITH p AS (
                            INSERT INTO programs (name, currency, points_per_unit, points_rounding, points_expiry,
                                                  tier_window, downgrade, enrolment, card_prefix)
                            VALUES ('Club', 'CNY', 1, 'down', 'end_of_year', 'calendar_year', 'immediate',
                                    'first_order', '88')
                            RETURNING id
                        )
                        INSERT INTO members (program_id, customer_id, card_number, tier_code)
                        SELECT p.id, c, '88' || c, CASE WHEN n <= 3 THEN 'gold' ELSE 'silver' END
                        FROM p, unnest(\(customers.prefix(4).map { Int64($0)! })::bigint[]) WITH ORDINALITY AS u(c, n)
                        """)
                }
                for answer in Self.answers {
                    var body: [String: Any] = [
                        "customer": ["id": customers[answer.customer]], "score": answer.score, "stage": answer.stage,
                    ]
                    if answer.ordered { body["order_id"] = orders[answer.customer] }
                    let made = try await client.send(
                        .post, "/v1/surveys/nps/responses", json: body, token: tenant.token)
                    #expect(made.status == .created, "\(String(buffer: made.body))")
                }
                let report = try JSON.object(
                    try await client.send(.get, "/v1/insight/nps?period=month", token: tenant.token).body)
                #expect(Self.same(report["overall"] as? [String: Any], Self.expected(Self.answers)))
                let ordered = Self.answers.filter(\.ordered)
                #expect(
                    Self.same(
                        Self.line(report, "by_destination", "Lijiang"),
                        Self.expected(ordered.filter { $0.customer % 2 == 0 })))
                #expect(
                    Self.same(
                        Self.line(report, "by_product_category", "hotel"),
                        Self.expected(ordered.filter { $0.customer % 2 == 1 })))
                #expect(
                    Self.same(
                        Self.line(report, "by_destination", nil), Self.expected(Self.answers.filter { !$0.ordered })))
                #expect(
                    Self.same(
                        Self.line(report, "by_tier", "gold"), Self.expected(Self.answers.filter { $0.customer < 3 })))
                #expect(
                    Self.same(
                        Self.line(report, "by_tier", "silver"), Self.expected(Self.answers.filter { $0.customer == 3 }))
                )
                #expect(
                    Self.same(Self.line(report, "by_tier", nil), Self.expected(Self.answers.filter { $0.customer > 3 }))
                )
                for stage in ["pre", "in", "post"] {
                    #expect(
                        Self.same(
                            Self.line(report, "by_stage", stage),
                            Self.expected(Self.answers.filter { $0.stage == stage })
                        ), "\(stage)")
                }
                #expect((report["by_period"] as? [[String: Any]])?.count == 1)
                // Exactly: 5 promoters, 3 passives, 3 detractors of 11.
                #expect((report["overall"] as? [String: Any])?["nps"] as? Double == 18.2)
            }
        }
    }

    /// A second answer for an order is a 409 naming order_id; a retry with the same key answers the
    /// first response again; an unknown customer is a 404 naming customer.
    @Test func test_oneAnswerPerOrder_andRetries() async throws {
        try await TestDatabase.with { db in
            try await Application(router: try buildRouter(db.parts { $0.jobWorkers = 0 })).test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "npsonce")
                let order = try JSON.object(
                    try await client.send(
                        .post, "/v1/orders",
                        json: [
                            "customer": ["phone": "13900001111"], "amount_minor": 100, "currency": "CNY",
                            "product": ["name": "Ticket"], "ordered_at": "2026-10-01T00:00:00Z", "status": "completed",
                        ], token: tenant.token, headers: [HTTPField.Name("Idempotency-Key")!: "o"]
                    ).body)
                let body: [String: Any] = [
                    "customer": ["phone": "13900001111"], "order_id": order["id"] as! String, "score": 9,
                ]
                let key: HTTPFields = [HTTPField.Name("Idempotency-Key")!: "nps-1"]
                let first = try await client.send(
                    .post, "/v1/surveys/nps/responses", json: body, token: tenant.token, headers: key)
                #expect(first.status == .created, "\(String(buffer: first.body))")
                let again = try await client.send(
                    .post, "/v1/surveys/nps/responses", json: body, token: tenant.token, headers: key)
                #expect(again.status == .created)
                #expect(try JSON.object(again.body)["id"] as? String == (try JSON.object(first.body)["id"] as? String))
                let second = try await client.send(.post, "/v1/surveys/nps/responses", json: body, token: tenant.token)
                #expect(second.status == .conflict)
                #expect(try JSON.object(second.body)["field"] as? String == "order_id")
                let nobody = try await client.send(
                    .post, "/v1/surveys/nps/responses", json: ["customer": ["email": "no@example.com"], "score": 5],
                    token: tenant.token)
                #expect(nobody.status == .notFound)
                #expect(try JSON.object(nobody.body)["field"] as? String == "customer")
                let bad = try await client.send(
                    .post, "/v1/surveys/nps/responses", json: ["customer": ["phone": "13900001111"], "score": 11],
                    token: tenant.token)
                #expect(bad.status == .unprocessableContent)
                #expect(try await db.tenantCount("nps_responses", tenant: tenant.slug) == 1)
            }
        }
    }

    /// The signed link shows the question, records the answer once, and a detractor gets a complaint
    /// of the severity the care settings name; a link whose signature is wrong is a 404.
    @Test func test_theSurveyLink_recordsOnce_andADetractorGetsAComplaint() async throws {
        try await TestDatabase.with { db in
            try await Application(router: try buildRouter(db.parts { $0.jobWorkers = 0 })).test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "npslink")
                let settings = try await client.send(
                    .put, "/v1/care-settings",
                    json: [
                        "complaint_policies": [
                            ["severity": "high", "first_response_minutes": 15, "resolution_minutes": 240]
                        ],
                        "detractor_complaints": ["enabled": true, "severity": "high"],
                    ], token: tenant.token)
                #expect(settings.status == .ok, "\(String(buffer: settings.body))")
                let policies = try JSON.object(settings.body)["complaint_policies"] as? [[String: Any]] ?? []
                #expect(policies.count == 4)
                #expect(policies.first { $0["severity"] as? String == "high" }?["first_response_minutes"] as? Int == 15)
                #expect(policies.first { $0["severity"] as? String == "low" }?["first_response_minutes"] as? Int == 60)

                let order = try JSON.object(
                    try await client.send(
                        .post, "/v1/orders",
                        json: [
                            "customer": ["email": "sad@example.com"], "amount_minor": 100, "currency": "CNY",
                            "product": ["name": "Tour"], "ordered_at": "2026-10-01T00:00:00Z", "status": "completed",
                        ], token: tenant.token, headers: [HTTPField.Name("Idempotency-Key")!: "o"]
                    ).body)
                let orderID = Int64(order["id"] as! String)!
                let key = try await MessageLinkKey(client: db.client, logger: db.logger).get()
                let token = SurveyLink(tenant: UUID(uuidString: tenant.id)!, order: orderID).token(key)
                let page = try await client.send(.get, "/s/\(token)")
                #expect(page.status == .ok && String(buffer: page.body).contains("How likely are you to recommend"))
                let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
                let post = { (body: String) in
                    try await client.execute(
                        uri: "/s/\(token)", method: .post, headers: form, body: ByteBuffer(string: body))
                }
                #expect(try await post("score=12").status == .unprocessableContent)
                let answered = try await post("score=3&comment=The+bus+was+two+hours+late%21")
                #expect(answered.status == .ok && String(buffer: answered.body).contains("recorded"))
                #expect(String(buffer: try await post("score=10").body).contains("answered already"))
                let forged = token.dropLast(2) + (token.hasSuffix("AA") ? "BB" : "AA")
                #expect(try await client.send(.get, "/s/\(forged)").status == .notFound)

                let responses = try JSON.object(
                    try await client.send(.get, "/v1/surveys/nps/responses", token: tenant.token).body)
                let response = try #require((responses["items"] as? [[String: Any]])?.first)
                #expect(response["source"] as? String == "link" && response["score"] as? Int == 3)
                #expect(response["comment"] as? String == "The bus was two hours late!")
                let complaintID = try #require(response["complaint_id"] as? String)
                let complaint = try JSON.object(
                    try await client.send(.get, "/v1/complaints/\(complaintID)", token: tenant.token).body)
                #expect(complaint["category"] as? String == "nps" && complaint["severity"] as? String == "high")
                #expect(complaint["order_id"] as? String == order["id"] as? String)
                let opened = try #require(ComplaintTests.date(complaint["opened_at"]))
                #expect(ComplaintTests.date(complaint["first_response_due_at"]) == opened.addingTimeInterval(15 * 60))
                let timeline = try JSON.object(
                    try await client.send(
                        .get, "/v1/customers/\(order["customer_id"] as! String)/timeline", token: tenant.token
                    ).body)
                let kinds = Set((timeline["items"] as? [[String: Any]] ?? []).compactMap { $0["kind"] as? String })
                #expect(kinds.isSuperset(of: ["order", "nps", "complaint"]))
            }
        }
    }
}
