import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Itinera
import ItineraTestSupport
import PostgresNIO
import Testing

@Suite struct CustomerLifecycleTests {
    @Test func test_merge_movesEverythingTheOtherOwns_andTheOtherIdNamesTheSurvivor() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "merge")
                let keep = try await client.customerID(
                    ["phone": "13800138000", "name": "陈静", "consents": ["sms": ["granted": true]]],
                    token: tenant.token)
                let other = try await client.customerID(
                    [
                        "email": "chen.jing@example.com", "city": "成都",
                        "consents": [
                            "sms": ["granted": false, "recorded_at": "2020-01-01T00:00:00Z"],
                            "email": ["granted": true],
                        ],
                    ],
                    token: tenant.token)
                _ = try await client.send(
                    .post, "/v1/orders", json: OrderTests.order(phone: "13800138000", amount: 100_000),
                    token: tenant.token, headers: OrderTests.key("m1"))
                var byEmail = OrderTests.order(amount: 300_000, orderedAt: "2026-11-01T00:00:00Z")
                byEmail["customer"] = ["email": "chen.jing@example.com"]
                _ = try await client.send(
                    .post, "/v1/orders", json: byEmail, token: tenant.token, headers: OrderTests.key("m2"))
                _ = try await client.send(
                    .post, "/v1/interactions",
                    json: [
                        "customer": ["id": other], "type": "inquiry", "channel": "wechat",
                        "occurred_at": "2026-11-05T08:00:00Z", "attributes": ["topic": "visa"],
                    ],
                    token: tenant.token)

                let merged = try await client.send(
                    .post, "/v1/customers/\(keep)/merge", json: ["other_id": other], token: tenant.token)
                #expect(merged.status == .ok)
                let view = try JSON.object(merged.body)
                #expect(view["name"] as? String == "陈静" && view["city"] as? String == "成都")
                let kinds = (view["identities"] as? [[String: Any]])?.compactMap { $0["type"] as? String }.sorted()
                #expect(kinds == ["email", "phone"])
                let consents = (view["consents"] as? [[String: Any]]) ?? []
                // The survivor's later sms consent stands against the other's older refusal.
                #expect(consents.first { $0["channel"] as? String == "sms" }?["granted"] as? Bool == true)
                #expect(consents.first { $0["channel"] as? String == "email" }?["granted"] as? Bool == true)
                let value = view["value"] as? [String: Any]
                #expect(value?["order_count"] as? Int == 2 && value?["total_spent_minor"] as? Int == 400_000)

                let gone = try await client.send(.get, "/v1/customers/\(other)", token: tenant.token)
                #expect(gone.status == .notFound)
                try #expect(JSON.object(gone.body)["merged_into"] as? String == keep)
                // The e-mail now finds the survivor.
                #expect(try await client.customerID(["email": "chen.jing@example.com"], token: tenant.token) == keep)

                let timeline = try JSON.object(
                    try await client.send(.get, "/v1/customers/\(keep)/timeline", token: tenant.token).body)
                let events = (timeline["items"] as? [[String: Any]])?.compactMap { $0["kind"] as? String }
                #expect(events?.filter { $0 != "consent" } == ["merge", "interaction", "order", "order"])
                // Both customers' consent statements, each for both purposes, are the survivor's history.
                #expect(events?.filter { $0 == "consent" }.count == 6)
                let audit = try JSON.object(
                    try await client.send(.get, "/v1/audit-events?action=customer.merge", token: tenant.token).body)
                let after = (audit["items"] as? [[String: Any]])?.first?["after"] as? [String: Any]
                #expect(after?["orders"] as? Int == 1 && after?["interactions"] as? Int == 1)
                #expect(
                    try await client.send(
                        .post, "/v1/customers/\(keep)/merge", json: ["other_id": keep], token: tenant.token
                    ).status == .unprocessableContent)
            }
        }
    }

    @Test func test_erasure_removesPersonalData_keepsAnonymousOrderFigures_andIsAudited() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "erase")
                let order = try JSON.object(
                    try await client.send(
                        .post, "/v1/orders", json: OrderTests.order(amount: 250_000, externalID: "BK-ERASE"),
                        token: tenant.token, headers: OrderTests.key("x")
                    ).body)
                let id = order["customer_id"] as? String ?? ""
                _ = try await client.send(
                    .patch, "/v1/customers/\(id)",
                    json: ["city": "厦门", "birth_year": 1988, "consents": ["email": ["granted": true]]],
                    token: tenant.token)
                _ = try await client.send(
                    .post, "/v1/interactions",
                    json: ["customer": ["id": id], "type": "page_view", "occurred_at": "2026-11-01T00:00:00Z"],
                    token: tenant.token)

                #expect(try await client.send(.delete, "/v1/customers/\(id)", token: tenant.token).status == .noContent)
                #expect(try await client.send(.delete, "/v1/customers/\(id)", token: tenant.token).status == .noContent)
                #expect(try await client.send(.get, "/v1/customers/\(id)", token: tenant.token).status == .notFound)

                let left = try await db.inTenant(tenant.slug) { t in
                    var rows: [String] = []
                    for try await row in try await t.query(
                        """
                        SELECT concat_ws('|', name, city, birth_year, attributes::text, order_count, total_spent_minor,
                                         (SELECT count(*) FROM customer_identities), (SELECT count(*) FROM consents),
                                         (SELECT count(*) FROM interactions),
                                         (SELECT string_agg(coalesce(external_id, '-') || ':' || amount_minor, ',') FROM orders))
                        FROM customers
                        """
                    ).decode(String.self) { rows.append(row) }
                    return rows
                }
                #expect(left == ["{}|1|250000|0|0|0|-:250000"])
                let audit = try JSON.object(
                    try await client.send(.get, "/v1/audit-events?action=customer.erase", token: tenant.token).body)
                let events = audit["items"] as? [[String: Any]] ?? []
                #expect(events.count == 1 && events.first?["before"] == nil)
                // The phone no longer finds anyone: the same number makes a new customer.
                let again = try await client.send(
                    .post, "/v1/customers", json: ["phone": "13800138000"], token: tenant.token)
                #expect(again.status == .created)
            }
        }
    }

    @Test func test_timeline_isNewestFirst_andPagesWithoutGapsOrRepeats() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "line")
                let id = try await client.customerID(["phone": "13800138000"], token: tenant.token)
                // Two events share each instant, so ties are broken by kind and id.
                for day in 1...5 {
                    let at = String(format: "2026-10-%02dT12:00:00Z", day)
                    _ = try await client.send(
                        .post, "/v1/orders", json: OrderTests.order(orderedAt: at), token: tenant.token,
                        headers: OrderTests.key("t\(day)"))
                    _ = try await client.send(
                        .post, "/v1/interactions",
                        json: ["customer": ["id": id], "type": "call", "occurred_at": at], token: tenant.token)
                }
                var seen: [String] = []
                var cursor: String?
                repeat {
                    let query = "limit=3" + (cursor.map { "&cursor=\($0)" } ?? "")
                    let page = try JSON.object(
                        try await client.send(.get, "/v1/customers/\(id)/timeline?\(query)", token: tenant.token).body)
                    for item in page["items"] as? [[String: Any]] ?? [] {
                        seen.append("\(item["occurred_at"] as? String ?? "")/\(item["kind"] as? String ?? "")")
                    }
                    cursor = page["next_cursor"] as? String
                } while cursor != nil
                let expected = (1...5).reversed().flatMap { day in
                    let at = String(format: "2026-10-%02dT12:00:00Z", day)
                    return ["\(at)/order", "\(at)/interaction"]
                }
                #expect(seen == expected)
            }
        }
    }

    @Test func test_anotherTenantsCustomer_isNotFound() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let one = try await client.signUp(slugPrefix: "one")
                let two = try await client.signUp(slugPrefix: "two")
                let id = try await client.customerID(["phone": "13800138000"], token: one.token)
                let missing = try await client.send(.get, "/v1/customers/987654", token: two.token)
                let foreign = try await client.send(.get, "/v1/customers/\(id)", token: two.token)
                #expect(foreign.status == .notFound)
                try #expect(
                    (JSON.object(foreign.body)["detail"] as? String)?.replacingOccurrences(of: id, with: "987654")
                        == JSON.object(missing.body)["detail"] as? String)
                // The same phone in the other tenant is another customer.
                let theirs = try await client.send(
                    .post, "/v1/customers", json: ["phone": "13800138000"], token: two.token)
                #expect(theirs.status == .created)
            }
        }
    }
}
