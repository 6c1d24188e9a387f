import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Itinera
import ItineraTestSupport
import Testing

@Suite struct SegmentTests {
    @Test func test_aSegment_countsAndListsTheCustomersItsRuleHolds() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "seg")
                // Two orders, family tag by hand, an inquiry last week: only this customer is in.
                for (index, amount) in [300_000, 500_000].enumerated() {
                    _ = try await client.send(
                        .post, "/v1/orders", json: OrderTests.order(phone: "13800000001", amount: amount),
                        token: tenant.token, headers: OrderTests.key("a\(index)"))
                }
                let frequent = try await client.customerID(["phone": "13800000001", "city": "杭州"], token: tenant.token)
                _ = try await client.send(
                    .post, "/v1/customers/\(frequent)/tags", json: ["tag": "family"], token: tenant.token)
                let recent = ISO8601DateFormatter().string(from: Date().addingTimeInterval(-7 * 86_400))
                _ = try await client.send(
                    .post, "/v1/interactions",
                    json: ["customer": ["id": frequent], "type": "inquiry", "occurred_at": recent], token: tenant.token)
                // One order only; and one with two orders but no tag and no inquiry.
                _ = try await client.send(
                    .post, "/v1/orders", json: OrderTests.order(phone: "13800000002"), token: tenant.token,
                    headers: OrderTests.key("b"))
                for index in 0..<2 {
                    _ = try await client.send(
                        .post, "/v1/orders", json: OrderTests.order(phone: "13800000003"), token: tenant.token,
                        headers: OrderTests.key("c\(index)"))
                }
                let rule: [String: Any] = [
                    "all": [
                        ["field": "order_count", "op": ">=", "value": 2],
                        ["field": "average_order_value_minor", "op": ">", "value": 350_000],
                        ["field": "city", "op": "in", "value": ["杭州", "上海"]],
                        ["any": [["tag": "family"], ["interaction": ["type": "inquiry", "within_days": 30]]]],
                    ]
                ]
                let created = try await client.send(
                    .post, "/v1/segments", json: ["name": "Frequent families", "rule": rule], token: tenant.token)
                #expect(created.status == .created)
                let segment = try JSON.object(created.body)
                #expect(segment["customers"] as? Int == 1)
                let id = segment["id"] as? String ?? ""
                let members = try JSON.object(
                    try await client.send(.get, "/v1/segments/\(id)/customers", token: tenant.token).body)
                #expect((members["items"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [frequent])
                let filtered = try JSON.object(
                    try await client.send(.get, "/v1/customers?segment=\(id)&query=13800000001", token: tenant.token)
                        .body)
                #expect((filtered["items"] as? [[String: Any]])?.count == 1)

                // Loosened: two orders are enough.
                let updated = try await client.send(
                    .put, "/v1/segments/\(id)",
                    json: ["name": "Frequent", "rule": ["field": "order_count", "op": ">=", "value": 2]],
                    token: tenant.token)
                try #expect(JSON.object(updated.body)["customers"] as? Int == 2)
                let audit = try JSON.object(
                    try await client.send(.get, "/v1/audit-events?target_type=segment", token: tenant.token).body)
                let actions = (audit["items"] as? [[String: Any]])?.compactMap { $0["action"] as? String }
                #expect(actions == ["segment.update", "segment.create"])
                #expect(
                    try await client.send(
                        .post, "/v1/segments", json: ["name": "Frequent", "rule": ["tag": "x"]], token: tenant.token
                    ).status == .conflict)
            }
        }
    }

    @Test func test_badRules_are422NamingThePath() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "seg")
                let cases: [([String: Any], String)] = [
                    ([:], "rule"),
                    (["all": [] as [Any]], "rule.all"),
                    (["all": [["field": "shoe_size", "op": "=", "value": 1]]], "rule.all[0].field"),
                    (["all": [["field": "order_count", "op": "~", "value": 1]]], "rule.all[0].op"),
                    (["any": [["field": "city", "op": ">", "value": "x"]]], "rule.any[0].op"),
                    (["field": "order_count", "op": ">=", "value": "two"], "rule.value"),
                    (["interaction": ["type": "teleport", "within_days": 3]], "rule.interaction.type"),
                    (["not_tag": "Bad Tag!"], "rule.not_tag"),
                    (
                        ["all": [["all": [["all": [["all": [["all": [["tag": "x"]]]]]]]]]]],
                        "rule.all[0].all[0].all[0].all[0].all[0]"
                    ),
                ]
                for (rule, field) in cases {
                    let response = try await client.send(
                        .post, "/v1/segments", json: ["name": "s", "rule": rule], token: tenant.token)
                    #expect(response.status == .unprocessableContent, "\(rule)")
                    try #expect(JSON.object(response.body)["field"] as? String == field, "\(rule)")
                }
                #expect(try await db.tenantCount("segments", tenant: tenant.slug) == 0)
            }
        }
    }
}
