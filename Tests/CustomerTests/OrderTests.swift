import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Itinera
import ItineraTestSupport
import PostgresNIO
import Testing

@Suite struct OrderTests {
    static func order(
        phone: String = "13800138000", amount: Int = 520_000, externalID: String? = nil,
        orderedAt: String = "2026-10-01T09:30:00+08:00", category: String = "family"
    ) -> [String: Any] {
        var body: [String: Any] = [
            "customer": ["phone": phone, "name": "张伟"],
            "amount_minor": amount,
            "currency": "CNY",
            "product": ["name": "Sanya family week", "category": category],
            "destination": "Sanya",
            "channel": "ota",
            "ordered_at": orderedAt,
            "travel_start": "2026-12-20",
            "travel_end": "2026-12-27",
            "party_size": 3,
        ]
        if let externalID { body["external_id"] = externalID }
        return body
    }

    static func key(_ value: String) -> HTTPFields { [HTTPField.Name("Idempotency-Key")!: value] }

    /// Round trips, counted by the pool: the tenant read and the customer view are one each, an order
    /// for a returning customer by phone three (the lookup with the claim; the insert with its reads;
    /// COMMIT).
    @Test func test_roundTripsPerRequest_areOneForAReadAndThreeForAnOrder() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "trips")
                let first = try await client.send(
                    .post, "/v1/orders", json: Self.order(), token: tenant.token, headers: Self.key("t-1"))
                let customer = try JSON.object(first.body)["customer_id"] as? String ?? ""
                func trips(_ method: HTTPRequest.Method, _ path: String, json: Any? = nil, key: String? = nil)
                    async throws -> Int
                {
                    let before = db.client.roundTrips.total
                    let response = try await client.send(
                        method, path, json: json, token: tenant.token, headers: key.map(Self.key) ?? [:])
                    #expect(response.status.kind == .successful, "\(path): \(String(buffer: response.body))")
                    return db.client.roundTrips.total - before
                }
                #expect(try await trips(.get, "/v1/tenant") == 1)
                #expect(try await trips(.get, "/v1/customers/\(customer)") == 1)
                var byPhone = Self.order()
                byPhone["customer"] = ["phone": "13800138000"]
                #expect(try await trips(.post, "/v1/orders", json: byPhone, key: "t-2") == 3)
                // Naming the customer also fills in their profile: one statement more.
                #expect(try await trips(.post, "/v1/orders", json: Self.order(), key: "t-3") == 4)
            }
        }
    }

    /// The order's claim goes with the caller's lookup when the process remembers the tenant's
    /// country; a tenant that changed its country is not misread: the order is made again without the
    /// guess, and the number is read in the new country.
    @Test func test_aTenantThatChangedItsCountry_hasItsNextOrderReadInTheNewOne() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "country")
                func place(_ key: String) async throws -> String {
                    let response = try await client.send(
                        .post, "/v1/orders", json: Self.order(phone: "13800138000"), token: tenant.token,
                        headers: Self.key(key))
                    #expect(response.status == .created, "\(String(buffer: response.body))")
                    return try JSON.object(response.body)["customer_id"] as? String ?? ""
                }
                func phone(of customer: String) async throws -> String? {
                    let view = try JSON.object(
                        try await client.send(.get, "/v1/customers/\(customer)", token: tenant.token).body)
                    return (view["identities"] as? [[String: Any]])?.first?["value"] as? String
                }
                let first = try await place("cn-1")
                #expect(try await place("cn-2") == first, "the same number in the same country, guessed right")
                #expect(try await place("cn-1") == first, "a retried key answers as the first time")
                #expect(try await phone(of: first) == "+8613800138000")
                let moved = try await client.send(.patch, "/v1/tenant", json: ["country": "US"], token: tenant.token)
                #expect(moved.status == .ok)
                let second = try await place("us-1")
                #expect(second != first)
                #expect(try await phone(of: second) == "+13800138000")
                let orders = try JSON.object(try await client.send(.get, "/v1/orders", token: tenant.token).body)
                #expect((orders["items"] as? [Any])?.count == 3)
            }
        }
    }

    @Test func test_anOrder_createsItsCustomer_andChangesValueFigures() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "ord")
                let key = try await client.createKey(token: tenant.token, scopes: ["orders:write", "customers:read"])
                let first = try await client.send(
                    .post, "/v1/orders", json: Self.order(amount: 520_000), token: key.token, headers: Self.key("a"))
                #expect(first.status == .created)
                let order = try JSON.object(first.body)
                let customer = order["customer_id"] as? String ?? ""
                _ = try await client.send(
                    .post, "/v1/orders",
                    json: Self.order(phone: "+86 138 0013 8000", amount: 300_001, orderedAt: "2026-11-02T10:00:00Z"),
                    token: key.token, headers: Self.key("b"))
                let view = try JSON.object(
                    try await client.send(.get, "/v1/customers/\(customer)", token: key.token).body)
                let value = view["value"] as? [String: Any]
                #expect(value?["order_count"] as? Int == 2)
                #expect(value?["total_spent_minor"] as? Int == 820_001)
                #expect(value?["average_order_value_minor"] as? Int == 410_001)
                #expect(value?["currency"] as? String == "CNY")
                #expect(value?["first_order_at"] as? String == "2026-10-01T01:30:00Z")
                #expect(value?["last_order_at"] as? String == "2026-11-02T10:00:00Z")
                #expect(view["name"] as? String == "张伟")
            }
        }
    }

    @Test func test_ordersAreListedNewestFirst_pageByPage_andByCustomer() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "ordlist")
                let key = try await client.createKey(token: tenant.token, scopes: ["orders:write", "customers:read"])
                var ids: [String] = []
                for (index, phone) in ["13800138001", "13800138002", "13800138001"].enumerated() {
                    let created = try await client.send(
                        .post, "/v1/orders", json: Self.order(phone: phone, externalID: "l-\(index)"), token: key.token,
                        headers: Self.key("l-\(index)"))
                    ids.append(try JSON.object(created.body)["id"] as? String ?? "")
                }
                let customer =
                    try JSON.object(
                        try await client.send(.get, "/v1/orders/\(ids[0])", token: key.token).body)["customer_id"]
                    as? String
                let first = try JSON.object(try await client.send(.get, "/v1/orders?limit=2", token: key.token).body)
                #expect((first["items"] as? [[String: Any]])?.map { $0["id"] as? String } == [ids[2], ids[1]])
                let cursor = try #require(first["next_cursor"] as? String)
                let second = try JSON.object(
                    try await client.send(.get, "/v1/orders?limit=2&cursor=\(cursor)", token: key.token).body)
                #expect((second["items"] as? [[String: Any]])?.map { $0["id"] as? String } == [ids[0]])
                #expect(second["next_cursor"] == nil)
                let theirs = try JSON.object(
                    try await client.send(.get, "/v1/orders?customer_id=\(customer ?? "")", token: key.token).body)
                #expect((theirs["items"] as? [[String: Any]])?.map { $0["id"] as? String } == [ids[2], ids[0]])
                #expect(
                    try await client.send(.get, "/v1/orders?customer_id=x1", token: key.token).status
                        == .unprocessableContent)
                let writer = try await client.createKey(token: tenant.token, scopes: ["orders:write"])
                #expect(try await client.send(.get, "/v1/orders", token: writer.token).status == .forbidden)
            }
        }
    }

    @Test func test_ordersNamingTheCustomerByOneOrSeveralIdentitiesOrByID_reachTheSameCustomer() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "ordid")
                let key = try await client.createKey(token: tenant.token, scopes: ["orders:write", "customers:read"])
                func order(_ customer: [String: Any], key idempotency: String) async throws -> TestResponse {
                    var body = Self.order()
                    body["customer"] = customer
                    return try await client.send(
                        .post, "/v1/orders", json: body, token: key.token, headers: Self.key(idempotency))
                }
                let first = try await order(["phone": "13800138000"], key: "one")
                #expect(first.status == .created)
                let customer = try JSON.object(first.body)["customer_id"] as? String ?? ""
                // A known phone with a new e-mail: the e-mail joins the customer.
                let both = try await order(["phone": "13800138000", "email": " Wei@Example.com "], key: "two")
                #expect(try JSON.object(both.body)["customer_id"] as? String == customer)
                // Each identity alone, both together, and the id.
                for (index, reference) in [
                    ["email": "wei@example.com"], ["phone": "+86 138-0013-8000", "email": "WEI@example.com"],
                    ["id": customer],
                ].enumerated() {
                    let response = try await order(reference, key: "again-\(index)")
                    #expect(response.status == .created)
                    #expect(try JSON.object(response.body)["customer_id"] as? String == customer)
                }
                // Another customer's phone beside this one's e-mail names two customers.
                let other = try await order(["phone": "13900139000"], key: "other")
                let otherID = try JSON.object(other.body)["customer_id"] as? String ?? ""
                let conflict = try await order(["phone": "13900139000", "email": "wei@example.com"], key: "two-people")
                #expect(conflict.status == .conflict)
                #expect(try JSON.object(conflict.body)["customer_ids"] as? [String] == [otherID, customer])
                let view = try JSON.object(
                    try await client.send(.get, "/v1/customers/\(customer)", token: key.token).body)
                #expect((view["value"] as? [String: Any])?["order_count"] as? Int == 5)
            }
        }
    }

    @Test func test_aRetryWithTheSameKey_answersTheFirstResponse_andChangesNothing() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "ord")
                let first = try await client.send(
                    .post, "/v1/orders", json: Self.order(), token: tenant.token, headers: Self.key("retry-1"))
                let again = try await client.send(
                    .post, "/v1/orders", json: Self.order(), token: tenant.token, headers: Self.key("retry-1"))
                #expect(first.status == .created && again.status == .created)
                #expect(String(buffer: first.body) == String(buffer: again.body))
                #expect(try await db.tenantCount("orders", tenant: tenant.slug) == 1)
                let figures = try await db.inTenant(tenant.slug) { t in
                    try await t.query("SELECT order_count FROM customers").collectInts()
                }
                #expect(figures == [1])

                let changed = try await client.send(
                    .post, "/v1/orders", json: Self.order(amount: 1), token: tenant.token, headers: Self.key("retry-1"))
                #expect(changed.status == .unprocessableContent)
                try #expect(JSON.object(changed.body)["field"] as? String == "Idempotency-Key")
                #expect(try await db.tenantCount("orders", tenant: tenant.slug) == 1)
            }
        }
    }

    @Test func test_twentyConcurrentOrdersWithOneKey_makeOneOrder() async throws {
        try await TestDatabase.with(connections: 20) { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "ord")
                let key = try await client.createKey(token: tenant.token, scopes: ["orders:write"])
                let answers = try await withThrowingTaskGroup(of: (HTTPResponse.Status, String).self) { group in
                    for _ in 0..<20 {
                        group.addTask {
                            let response = try await client.send(
                                .post, "/v1/orders", json: Self.order(externalID: "BK-1"), token: key.token,
                                headers: Self.key("concurrent"))
                            return (response.status, String(buffer: response.body))
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(answers.allSatisfy { $0.0 == .created }, "\(answers)")
                #expect(Set(answers.map(\.1)).count == 1)
                #expect(try await db.tenantCount("orders", tenant: tenant.slug) == 1)
                #expect(try await db.tenantCount("customers", tenant: tenant.slug) == 1)
            }
        }
    }

    @Test func test_anExternalIDUnderANewKey_isAConflictNamingTheOrder() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "ord")
                let first = try await client.send(
                    .post, "/v1/orders", json: Self.order(externalID: "BK-9"), token: tenant.token,
                    headers: Self.key("k1"))
                let id = try JSON.object(first.body)["id"] as? String
                let second = try await client.send(
                    .post, "/v1/orders", json: Self.order(externalID: "BK-9"), token: tenant.token,
                    headers: Self.key("k2"))
                #expect(second.status == .conflict)
                let problem = try JSON.object(second.body)
                #expect(problem["order_id"] as? String == id && problem["field"] as? String == "external_id")
                let figures = try await db.inTenant(tenant.slug) { t in
                    try await t.query("SELECT order_count FROM customers").collectInts()
                }
                #expect(figures == [1])
            }
        }
    }

    @Test func test_cancellation_reversesTheValueFigures_andIsIdempotent() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "ord")
                let early = try JSON.object(
                    try await client.send(
                        .post, "/v1/orders", json: Self.order(amount: 100_000, orderedAt: "2026-01-01T00:00:00Z"),
                        token: tenant.token, headers: Self.key("e")
                    ).body)
                _ = try await client.send(
                    .post, "/v1/orders", json: Self.order(amount: 200_000, orderedAt: "2026-03-01T00:00:00Z"),
                    token: tenant.token, headers: Self.key("l"))
                let orderID = early["id"] as? String ?? ""
                for _ in 0..<2 {
                    let cancelled = try await client.send(.post, "/v1/orders/\(orderID)/cancel", token: tenant.token)
                    #expect(cancelled.status == .ok)
                    try #expect(JSON.object(cancelled.body)["status"] as? String == "cancelled")
                }
                let view = try JSON.object(
                    try await client.send(
                        .get, "/v1/customers/\(early["customer_id"] as? String ?? "")", token: tenant.token
                    ).body)
                let value = view["value"] as? [String: Any]
                #expect(value?["order_count"] as? Int == 1)
                #expect(value?["total_spent_minor"] as? Int == 200_000)
                #expect(value?["first_order_at"] as? String == "2026-03-01T00:00:00Z")
                #expect(
                    try await client.send(.post, "/v1/orders/999999/cancel", token: tenant.token).status == .notFound)
            }
        }
    }

    @Test func test_aRefundedOrder_cannotBeCancelled_andStaysOutOfTheFigures() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "ord")
                var refunded = Self.order(amount: 70_000)
                refunded["status"] = "refunded"
                let order = try JSON.object(
                    try await client.send(
                        .post, "/v1/orders", json: refunded, token: tenant.token, headers: Self.key("r")
                    )
                    .body)
                let cancel = try await client.send(
                    .post, "/v1/orders/\(order["id"] as? String ?? "")/cancel", token: tenant.token)
                #expect(cancel.status == .conflict)
                let view = try JSON.object(
                    try await client.send(
                        .get, "/v1/customers/\(order["customer_id"] as? String ?? "")", token: tenant.token
                    )
                    .body)
                #expect((view["value"] as? [String: Any])?["order_count"] as? Int == 0)
                let stored = try await db.inTenant(tenant.slug) { t in
                    try await t.query("SELECT count(*)::int FROM orders WHERE status = 'refunded'").collectInts()
                }
                #expect(stored == [1])
            }
        }
    }

    @Test func test_anInteractionRetriedWithItsKey_isRecordedOnce() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "ord")
                let body: [String: Any] = [
                    "customer": ["phone": "13800138000"], "type": "gate_entry", "channel": "north-gate",
                    "occurred_at": "2026-11-01T09:00:00Z", "attributes": ["gate": 3],
                ]
                let first = try await client.send(
                    .post, "/v1/interactions", json: body, token: tenant.token, headers: Self.key("gate-1"))
                let again = try await client.send(
                    .post, "/v1/interactions", json: body, token: tenant.token, headers: Self.key("gate-1"))
                #expect(first.status == .created && again.status == .created)
                #expect(String(buffer: first.body) == String(buffer: again.body))
                var changed = body
                changed["channel"] = "south-gate"
                let reused = try await client.send(
                    .post, "/v1/interactions", json: changed, token: tenant.token, headers: Self.key("gate-1"))
                #expect(reused.status == .unprocessableContent)
                let unknownType = try await client.send(
                    .post, "/v1/interactions",
                    json: [
                        "customer": ["phone": "13800138000"], "type": "teleport",
                        "occurred_at": "2026-11-01T09:00:00Z",
                    ], token: tenant.token)
                try #expect(JSON.object(unknownType.body)["field"] as? String == "type")
                #expect(try await db.tenantCount("interactions", tenant: tenant.slug) == 1)
            }
        }
    }

    @Test func test_badOrders_are4xxNamingTheField_andWriteNothing() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "ord")
                var cases: [([String: Any], String)] = []
                func with(_ key: String, _ value: Any) -> [String: Any] {
                    var body = Self.order()
                    body[key] = value
                    return body
                }
                cases.append((with("currency", "USD"), "currency"))
                cases.append((with("amount_minor", -1), "amount_minor"))
                cases.append((with("travel_end", "2026-12-01"), "travel_end"))
                cases.append((with("travel_start", "2026-02-30"), "travel_start"))
                cases.append((with("party_size", 0), "party_size"))
                cases.append((with("ordered_at", "2099-01-01T00:00:00Z"), "ordered_at"))
                cases.append((with("customer", [:] as [String: Any]), "customer"))
                cases.append((with("customer", ["phone": "12"]), "customer.phone"))
                cases.append((with("customer", ["id": "abc"]), "customer.id"))
                cases.append((with("product", ["name": ""]), "product.name"))
                var missing = Self.order()
                missing["amount_minor"] = nil
                cases.append((missing, "amount_minor"))
                for (index, (body, field)) in cases.enumerated() {
                    let response = try await client.send(
                        .post, "/v1/orders", json: body, token: tenant.token, headers: Self.key("bad-\(index)"))
                    #expect(response.status == .unprocessableContent, "\(field): \(String(buffer: response.body))")
                    try #expect(JSON.object(response.body)["field"] as? String == field)
                }
                let unknown = try await client.send(
                    .post, "/v1/orders", json: with("customer", ["id": "424242"]), token: tenant.token,
                    headers: Self.key("unknown-customer"))
                #expect(unknown.status == .notFound)
                let noKey = try await client.send(.post, "/v1/orders", json: Self.order(), token: tenant.token)
                #expect(noKey.status == .badRequest)
                try #expect((JSON.object(noKey.body)["detail"] as? String ?? "").contains("Idempotency-Key"))
                #expect(try await db.tenantCount("orders", tenant: tenant.slug) == 0)
                #expect(try await db.tenantCount("customers", tenant: tenant.slug) == 0)
                #expect(try await db.tenantCount("idempotency_keys", tenant: tenant.slug) == 0)
            }
        }
    }
}

extension PQRows {
    func collectInts() async throws -> [Int] {
        var values: [Int] = []
        for try await value in decode(Int.self) { values.append(value) }
        return values
    }
}
