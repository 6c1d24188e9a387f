import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Itinera
import ItineraTestSupport
import PostgresNIO
import Testing

@Suite struct TagSearchRFMTests {
    @Test func test_aTagRule_tagsPastAndFutureOrdersOfItsCategory_andHandTagsAreKept() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "tags")
                let past =
                    try JSON.object(
                        try await client.send(
                            .post, "/v1/orders", json: OrderTests.order(phone: "13800000001", category: "Family"),
                            token: tenant.token, headers: OrderTests.key("p")
                        ).body)["customer_id"] as? String
                let rule = try await client.send(
                    .post, "/v1/tags", json: ["name": "family", "rule": ["product_category": "family"]],
                    token: tenant.token)
                #expect(rule.status == .created)
                try #expect(JSON.object(rule.body)["customers"] as? Int == 1)
                let future =
                    try JSON.object(
                        try await client.send(
                            .post, "/v1/orders", json: OrderTests.order(phone: "13800000002", category: "family"),
                            token: tenant.token, headers: OrderTests.key("f")
                        ).body)["customer_id"] as? String
                let other =
                    try JSON.object(
                        try await client.send(
                            .post, "/v1/orders", json: OrderTests.order(phone: "13800000003", category: "cruise"),
                            token: tenant.token, headers: OrderTests.key("o")
                        ).body)["customer_id"] as? String
                #expect(
                    try await client.send(
                        .post, "/v1/customers/\(other ?? "")/tags", json: ["tag": "VIP"], token: tenant.token
                    ).status == .created)

                let family = try JSON.object(
                    try await client.send(.get, "/v1/customers?tag=family", token: tenant.token).body)
                let ids = (family["items"] as? [[String: Any]])?.compactMap { $0["id"] as? String }
                #expect(ids == [future, past].compactMap { $0 })
                let tags = try JSON.object(
                    try await client.send(.get, "/v1/customers/\(other ?? "")/tags", token: tenant.token).body)
                let items = tags["items"] as? [[String: Any]]
                #expect(items?.first?["tag"] as? String == "vip" && items?.first?["source"] as? String == "manual")
                #expect(
                    try await client.send(.post, "/v1/tags", json: ["name": "family"], token: tenant.token).status
                        == .conflict)
                #expect(
                    try await client.send(.post, "/v1/tags", json: ["name": "Bad Name!"], token: tenant.token).status
                        == .unprocessableContent)
                #expect(try await client.send(.delete, "/v1/tags/family", token: tenant.token).status == .noContent)
                #expect(try await db.tenantCount("customer_tags", tenant: tenant.slug) == 1)
            }
        }
    }

    @Test func test_aTagRuleWithADestination_tagsOnlyOrdersThere() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "tags")
                #expect(
                    try await client.send(
                        .post, "/v1/tags",
                        json: [
                            "name": "sanya-family", "rule": ["product_category": "family", "destination": "sanya"],
                        ],
                        token: tenant.token
                    ).status == .created)
                var elsewhere = OrderTests.order(phone: "13800000001", category: "family")
                elsewhere["destination"] = "Lijiang"
                _ = try await client.send(
                    .post, "/v1/orders", json: elsewhere, token: tenant.token, headers: OrderTests.key("l"))
                // OrderTests.order goes to "Sanya": the rule's destination matches it whatever the case.
                _ = try await client.send(
                    .post, "/v1/orders", json: OrderTests.order(phone: "13800000002", category: "family"),
                    token: tenant.token, headers: OrderTests.key("s"))
                let tagged = try JSON.object(
                    try await client.send(.get, "/v1/customers?tag=sanya-family", token: tenant.token).body)
                let phones = (tagged["items"] as? [[String: Any]])?.flatMap {
                    ($0["identities"] as? [[String: Any]] ?? []).compactMap { $0["value"] as? String }
                }
                #expect(phones == ["+8613800000002"])
                // The tag on its own: its rule and the one customer it tagged.
                let tag = try JSON.object(
                    try await client.send(.get, "/v1/tags/sanya-family", token: tenant.token).body)
                #expect(tag["name"] as? String == "sanya-family")
                #expect(tag["customers"] as? Int == 1)
                #expect((tag["rule"] as? [String: Any])?["destination"] as? String == "sanya")
                #expect(try await client.send(.get, "/v1/tags/no-such-tag", token: tenant.token).status == .notFound)
            }
        }
    }

    @Test func test_search_findsByPhoneEmailCardAndNamePrefix() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "find")
                let wang = try await client.customerID(
                    ["phone": "13800138000", "name": "王芳", "member_card": "MC-8801"], token: tenant.token)
                let zhang = try await client.customerID(
                    ["email": "zhang.wei@example.com", "name": "Zhang Wei"], token: tenant.token)
                _ = try await client.customerID(["phone": "13900139000", "name": "王_x"], token: tenant.token)
                func found(_ query: String) async throws -> [String] {
                    let encoded = query.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? query
                    let page = try JSON.object(
                        try await client.send(.get, "/v1/customers?query=\(encoded)", token: tenant.token).body)
                    return (page["items"] as? [[String: Any]])?.compactMap { $0["id"] as? String } ?? []
                }
                #expect(try await found("+86 138 0013 8000") == [wang])
                #expect(try await found("ZHANG.WEI@example.com") == [zhang])
                #expect(try await found("mc 8801") == [wang])
                #expect(try await found("zhang") == [zhang])
                #expect(try await found("王芳") == [wang])
                // LIKE's wildcards in the text are only characters.
                #expect(try await found("王_").count == 1)
                #expect(try await found("nobody") == [])
            }
        }
    }

    @Test func test_rfmSegments_inSwiftAndSQL_agreeOnEveryScore() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "rfm")
                let inSQL = try await db.inTenant(tenant.slug) { t in
                    var segments: [[Int]: String] = [:]
                    let rows = try await t.query(
                        """
                        SELECT r, f, m, \(unescaped: RFM.segmentSQL)
                        FROM generate_series(1, 5) r, generate_series(1, 5) f, generate_series(1, 5) m
                        """)
                    for try await (r, f, m, segment) in rows.decode((Int, Int, Int, String?).self) {
                        segments[[r, f, m]] = segment ?? "none"
                    }
                    return segments
                }
                #expect(inSQL.count == 125)
                for r in 1...5 {
                    for f in 1...5 {
                        for m in 1...5 {
                            let inSwift = RFM.segment(recency: r, frequency: f, monetary: m)
                            #expect(inSwift != nil, "no segment for \(r)\(f)\(m)")
                            #expect(inSQL[[r, f, m]] == inSwift, "\(r)\(f)\(m)")
                        }
                    }
                }
            }
        }
    }

    @Test func test_rfmRun_scoresCustomersByQuintile_andShowsInTheView() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "rfm")
                // Ten customers: the n-th orders n times, n × 1,000 each, last on day n.
                var ids: [String] = []
                for n in 1...10 {
                    for k in 1...n {
                        let response = try await client.send(
                            .post, "/v1/orders",
                            json: OrderTests.order(
                                phone: "1380000\(String(format: "%04d", n))", amount: n * 100_000,
                                orderedAt: String(format: "2026-09-%02dT10:00:%02dZ", n, k)),
                            token: tenant.token, headers: OrderTests.key("\(n)-\(k)"))
                        if k == 1 { ids.append(try JSON.object(response.body)["customer_id"] as! String) }
                    }
                }
                _ = try await client.customerID(["phone": "13900000000"], token: tenant.token)
                let run = try await client.send(.post, "/v1/rfm-runs", token: tenant.token)
                #expect(run.status == .ok)
                let summary = try JSON.object(run.body)
                #expect(summary["scored"] as? Int == 10)
                let best = try JSON.object(
                    try await client.send(.get, "/v1/customers/\(ids[9])", token: tenant.token).body)
                let worst = try JSON.object(
                    try await client.send(.get, "/v1/customers/\(ids[0])", token: tenant.token).body)
                let bestRFM = best["rfm"] as? [String: Any]
                let worstRFM = worst["rfm"] as? [String: Any]
                #expect(bestRFM?["recency"] as? Int == 5 && bestRFM?["frequency"] as? Int == 5)
                #expect(bestRFM?["segment"] as? String == "champions")
                #expect(worstRFM?["recency"] as? Int == 1 && worstRFM?["monetary"] as? Int == 1)
                #expect(worstRFM?["segment"] as? String == "lost")
                let champions = try JSON.object(
                    try await client.send(.get, "/v1/customers?rfm_segment=champions", token: tenant.token).body)
                #expect((champions["items"] as? [[String: Any]])?.contains { $0["id"] as? String == ids[9] } == true)
                #expect(
                    try await client.send(.get, "/v1/customers?rfm_segment=nonsense", token: tenant.token).status
                        == .badRequest)
            }
        }
    }
}
