import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Itinera
import ItineraTestSupport
import PostgresNIO
import Testing

@Suite struct ImportTests {
    static func line(_ object: [String: Any]) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    static func orderLine(_ n: Int, phone: String, amount: Int = 100_000, category: String = "ticket") -> String {
        line([
            "customer": ["phone": phone], "external_id": "IMP-\(n)", "amount_minor": amount, "currency": "CNY",
            "product": ["name": "Gate ticket", "category": category], "ordered_at": "2026-10-\(10 + n % 10)T08:00:00Z",
        ])
    }

    func post(_ client: some TestClientProtocol, kind: String, _ text: String, token: String) async throws
        -> (HTTPResponse.Status, [String: Any])
    {
        let response = try await client.execute(
            uri: "/v1/imports?kind=\(kind)", method: .post,
            headers: [.authorization: "Bearer \(token)", .contentType: "application/x-ndjson"],
            body: ByteBuffer(string: text))
        return (response.status, try JSON.object(response.body))
    }

    @Test func test_anEmptyBody_is422_andOneOfBlankLines_importsNothing() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "imp")
                let (empty, problem) = try await post(client, kind: "orders", "", token: tenant.token)
                #expect(empty == .unprocessableContent)
                #expect(problem["field"] as? String == "body")
                let (blank, job) = try await post(client, kind: "orders", "\r\n \n", token: tenant.token)
                #expect(blank == .created, "\(job)")
                #expect(job["lines"] as? Int == 0)
                let orders = try JSON.object(try await client.send(.get, "/v1/orders", token: tenant.token).body)
                #expect((orders["items"] as? [Any])?.isEmpty == true)
            }
        }
    }

    @Test func test_orderImport_reportsBadLinesByNumber_importsTheRest_andAgainChangesNothing() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "imp")
                // Two existing customers, so that a line naming both is a conflict.
                _ = try await client.customerID(["phone": "13800000001"], token: tenant.token)
                _ = try await client.customerID(["email": "taken@example.com"], token: tenant.token)
                var lines = [
                    Self.orderLine(1, phone: "13800000001"),
                    Self.orderLine(2, phone: "+86 138 0000 0002", amount: 250_000),
                    "{\"customer\": {\"phone\": \"13800000003\"}, \"amount_minor\": ",
                    "",
                    Self.orderLine(4, phone: "13800000002", amount: 50_000),
                    Self.line([
                        "customer": ["phone": "13800000005"], "external_id": "IMP-5", "amount_minor": 1,
                        "currency": "USD", "product": ["name": "x"], "ordered_at": "2026-10-01T00:00:00Z",
                    ]),
                    Self.line([
                        "customer": ["phone": "13800000001", "email": "taken@example.com"], "external_id": "IMP-6",
                        "amount_minor": 1, "currency": "CNY", "product": ["name": "x"],
                        "ordered_at": "2026-10-01T00:00:00Z",
                    ]),
                    Self.line([
                        "customer": ["phone": "13800000007"], "amount_minor": 1, "currency": "CNY",
                        "product": ["name": "x"], "ordered_at": "2026-10-01T00:00:00Z",
                    ]),
                    Self.orderLine(8, phone: "13800000008", category: "family"),
                ]
                lines.append("")
                let file = lines.joined(separator: "\n")
                let (status, job) = try await post(client, kind: "orders", file, token: tenant.token)
                #expect(status == .created, "\(job)")
                #expect(job["lines"] as? Int == 9)
                #expect(job["accepted"] as? Int == 4)
                #expect(job["orders_created"] as? Int == 4)
                #expect(job["customers_created"] as? Int == 2)
                #expect(job["error_count"] as? Int == 4)
                let errors = job["errors"] as? [[String: Any]] ?? []
                #expect(errors.compactMap { $0["line"] as? Int } == [3, 6, 7, 8])
                #expect(errors.compactMap { $0["field"] as? String } == ["currency", "customer", "external_id"])
                #expect((errors.first?["message"] as? String)?.contains("not valid JSON") == true)

                let figures = try await db.inTenant(tenant.slug) { t in
                    var rows: [String] = []
                    for try await row in try await t.query(
                        """
                        SELECT concat_ws(':', i.value, c.order_count, c.total_spent_minor)
                        FROM customers c JOIN customer_identities i ON i.customer_id = c.id AND i.kind = 'phone'
                        ORDER BY i.value
                        """
                    ).decode(String.self) { rows.append(row) }
                    return rows
                }
                #expect(figures == ["+8613800000001:1:100000", "+8613800000002:2:300000", "+8613800000008:1:100000"])

                let (_, again) = try await post(client, kind: "orders", file, token: tenant.token)
                #expect(again["orders_created"] as? Int == 0 && again["customers_created"] as? Int == 0)
                #expect(again["duplicates"] as? Int == 4)
                #expect(try await db.tenantCount("orders", tenant: tenant.slug) == 4)
                #expect(try await db.tenantCount("customers", tenant: tenant.slug) == 4)

                let read = try await client.send(.get, "/v1/imports/\(job["id"] as? String ?? "")", token: tenant.token)
                try #expect(JSON.object(read.body)["error_count"] as? Int == 4)
            }
        }
    }

    @Test func test_customerImport_createsAndFills_andAgainTouchesNothing() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "imp")
                let existing = try await client.customerID(["phone": "13800000001", "name": "已有"], token: tenant.token)
                let file = [
                    Self.line(["phone": "13800000001", "name": "Other name", "city": "西安"]),
                    Self.line(["phone": "13800000002", "email": "New@Example.com", "name": "新客"]),
                    Self.line(["phone": "13800000002", "member_card": "MC-2002"]),
                    Self.line(["email": "lonely@example.com", "consents": ["sms": ["granted": true]]]),
                    Self.line(["name": "nobody"]),
                ].joined(separator: "\n")
                let (_, job) = try await post(client, kind: "customers", file, token: tenant.token)
                #expect(job["customers_created"] as? Int == 1)
                #expect(job["customers_updated"] as? Int == 1)
                #expect(
                    (job["errors"] as? [[String: Any]])?.compactMap { $0["field"] as? String } == ["consents", "phone"])
                let view = try JSON.object(
                    try await client.send(.get, "/v1/customers/\(existing)", token: tenant.token).body)
                #expect(view["name"] as? String == "已有" && view["city"] as? String == "西安")
                let found = try JSON.object(
                    try await client.send(.get, "/v1/customers?query=mc2002", token: tenant.token).body)
                let newcomer = (found["items"] as? [[String: Any]])?.first
                #expect(newcomer?["name"] as? String == "新客")
                #expect((newcomer?["identities"] as? [[String: Any]])?.count == 3)

                let stamp = try await db.inTenant(tenant.slug) { t in
                    for try await at in try await t.query("SELECT max(updated_at)::text FROM customers").decode(
                        String.self)
                    {
                        return at
                    }
                    return ""
                }
                let (_, again) = try await post(client, kind: "customers", file, token: tenant.token)
                #expect(again["customers_created"] as? Int == 0 && again["customers_updated"] as? Int == 0)
                let after = try await db.inTenant(tenant.slug) { t in
                    for try await at in try await t.query("SELECT max(updated_at)::text FROM customers").decode(
                        String.self)
                    {
                        return at
                    }
                    return ""
                }
                #expect(after == stamp)
            }
        }
    }

    @Test func test_import_needsAKnownKind_andAnNDJSONBody() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "imp")
                let (status, problem) = try await post(client, kind: "trips", "{}", token: tenant.token)
                #expect(status == .badRequest, "\(problem)")
                let json = try await client.send(.post, "/v1/imports?kind=orders", json: ["a": 1], token: tenant.token)
                #expect(json.status == .badRequest, "\(String(buffer: json.body))")
                #expect(try await db.tenantCount("imports", tenant: tenant.slug) == 0)
            }
        }
    }
}
