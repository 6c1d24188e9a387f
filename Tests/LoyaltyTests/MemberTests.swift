import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ItineraTestSupport
import PostgresNIO
import Testing

@testable import Itinera

@Suite struct MemberTests {
    static func idempotency(_ key: String) -> HTTPFields { [HTTPField.Name("Idempotency-Key")!: key] }

    @Test func test_cardNumbers_carryALuhnCheckDigit() {
        let card = CardNumber.make(prefix: "88", sequence: 42)
        #expect(card.count == 12)
        #expect(card.hasPrefix("88000000042"))
        #expect(CardNumber.isValid(card))
        var mistyped = Array(card)
        mistyped[5] = mistyped[5] == "9" ? "8" : "9"
        #expect(!CardNumber.isValid(String(mistyped)))
        #expect(CardNumber.isValid("79927398713"))
        #expect(!CardNumber.isValid("79927398710"))
    }

    @Test func test_30ConcurrentRedemptionsOf10AgainstABalanceOf100_exactly10Succeed() async throws {
        try await TestDatabase.with(connections: 16) { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "redeem")
                let key = try await client.createKey(token: tenant.token, scopes: ["loyalty:read", "loyalty:write"])
                let program = try JSON.object(
                    try await client.send(
                        .post, "/v1/programs", json: ProgramTests.program.merging(["enrolment": "explicit"]) { $1 },
                        token: tenant.token
                    ).body)
                let customer = try JSON.object(
                    try await client.send(
                        .post, "/v1/customers", json: ["phone": "13800138000"], token: tenant.token
                    ).body)
                let enrolled = try await client.send(
                    .post, "/v1/programs/\(program["id"]!)/members", json: ["customer_id": customer["id"]!],
                    token: key.token)
                #expect(enrolled.status == .created)
                let member = try JSON.object(enrolled.body)
                #expect(CardNumber.isValid(member["card_number"] as? String ?? ""))
                let again = try await client.send(
                    .post, "/v1/programs/\(program["id"]!)/members", json: ["customer_id": customer["id"]!],
                    token: key.token)
                #expect(again.status == .ok)
                #expect(try JSON.object(again.body)["card_number"] as? String == member["card_number"] as? String)
                let id = member["id"] as? String ?? ""
                let credit = try await client.send(
                    .post, "/v1/members/\(id)/points", json: ["points": 100, "reason": "Welcome gift"],
                    token: tenant.token)
                #expect(credit.status == .created)

                let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                    for index in 0..<30 {
                        group.addTask {
                            try await client.send(
                                .post, "/v1/members/\(id)/redemptions",
                                json: ["points": 10, "reason": "Coupon \(index)"],
                                token: key.token
                            ).status
                        }
                    }
                    return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
                }
                #expect(statuses.filter { $0 == .created }.count == 10)
                #expect(statuses.filter { $0 == .conflict }.count == 20)
                let view = try JSON.object(try await client.send(.get, "/v1/members/\(id)", token: key.token).body)
                #expect(view["points_balance"] as? Int == 0)
                let entries =
                    try JSON.object(
                        try await client.send(.get, "/v1/members/\(id)/points?limit=200", token: key.token).body)[
                        "items"] as? [[String: Any]] ?? []
                #expect(entries.filter { $0["kind"] as? String == "redeem" }.count == 10)
                #expect(entries.map { $0["balance_after"] as? Int ?? -1 }.sorted() == Array(0...10).map { $0 * 10 })
                let lots = try await db.inTenant(tenant.slug) { connection in
                    for try await left in try await connection.query(
                        "SELECT coalesce(sum(remaining), -1)::int FROM point_lots"
                    ).decode(Int.self) { return left }
                    return -1
                }
                #expect(lots == 0)

                // Too many, or none, or a retry of one that was refused: nothing changes.
                let short = try await client.send(
                    .post, "/v1/members/\(id)/redemptions", json: ["points": 1], token: key.token,
                    headers: Self.idempotency("late"))
                #expect(short.status == .conflict)
                #expect(try JSON.object(short.body)["field"] as? String == "points")
                let zero = try await client.send(
                    .post, "/v1/members/\(id)/redemptions", json: ["points": 0], token: key.token)
                #expect(zero.status == .unprocessableContent)
                #expect(try JSON.object(zero.body)["field"] as? String == "points")
                let noReason = try await client.send(
                    .post, "/v1/members/\(id)/points", json: ["points": 5, "reason": " "], token: tenant.token)
                #expect(noReason.status == .unprocessableContent)
                #expect(try JSON.object(noReason.body)["field"] as? String == "reason")
                #expect(
                    try await client.send(
                        .post, "/v1/members/\(id)/points", json: ["points": 5, "reason": "x"], token: key.token
                    )
                    .status == .forbidden, "adjustments are for people, not partners")
                #expect(try await client.send(.get, "/v1/members/999999", token: key.token).status == .notFound)
            }
        }
    }

    @Test func test_aRedemptionRetriedWithItsKey_spendsOnce() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "redeemonce")
                let program = try JSON.object(
                    try await client.send(.post, "/v1/programs", json: ProgramTests.program, token: tenant.token).body)
                let customer = try JSON.object(
                    try await client.send(.post, "/v1/customers", json: ["phone": "13900139000"], token: tenant.token)
                        .body)
                let id =
                    try JSON.object(
                        try await client.send(
                            .post, "/v1/programs/\(program["id"]!)/members", json: ["customer_id": customer["id"]!],
                            token: tenant.token
                        ).body)["id"] as? String ?? ""
                _ = try await client.send(
                    .post, "/v1/members/\(id)/points", json: ["points": 50, "reason": "Goodwill"], token: tenant.token)
                let first = try await client.send(
                    .post, "/v1/members/\(id)/redemptions", json: ["points": 20], token: tenant.token,
                    headers: Self.idempotency("r1"))
                let retry = try await client.send(
                    .post, "/v1/members/\(id)/redemptions", json: ["points": 20], token: tenant.token,
                    headers: Self.idempotency("r1"))
                #expect(first.status == .created)
                #expect(retry.status == .created)
                #expect(String(buffer: first.body) == String(buffer: retry.body))
                let changed = try await client.send(
                    .post, "/v1/members/\(id)/redemptions", json: ["points": 21], token: tenant.token,
                    headers: Self.idempotency("r1"))
                #expect(changed.status == .unprocessableContent)
                let view = try JSON.object(try await client.send(.get, "/v1/members/\(id)", token: tenant.token).body)
                #expect(view["points_balance"] as? Int == 30)
            }
        }
    }

    @Test func test_aBalanceChangedByHand_movesTheTierOnlyWhereATierSetsAMinimumBalance() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "saver")
                let program =
                    try JSON.object(
                        try await client.send(.post, "/v1/programs", json: ProgramTests.program, token: tenant.token)
                            .body)["id"] as? String ?? ""
                let customer = try JSON.object(
                    try await client.send(.post, "/v1/customers", json: ["phone": "13600136000"], token: tenant.token)
                        .body)
                let id =
                    try JSON.object(
                        try await client.send(
                            .post, "/v1/programs/\(program)/members", json: ["customer_id": customer["id"]!],
                            token: tenant.token
                        ).body)["id"] as? String ?? ""
                func tier() async throws -> String? {
                    let view = try JSON.object(
                        try await client.send(.get, "/v1/members/\(id)", token: tenant.token).body)
                    return (view["tier"] as? [String: Any])?["code"] as? String
                }
                // The template sets no minimum balance: points change no tier.
                _ = try await client.send(
                    .post, "/v1/members/\(id)/points", json: ["points": 50, "reason": "Goodwill"], token: tenant.token)
                #expect(try await tier() == nil)
                #expect(try await db.tenantCount("tier_history", tenant: tenant.slug) == 0)
                let saver = ["tiers": [ProgramTests.tier("saver", rank: 1, ["min_points": 40])]]
                #expect(
                    try await client.send(.put, "/v1/programs/\(program)/tiers", json: saver, token: tenant.token)
                        .status == .accepted)
                #expect(try await tier() == nil, "the re-evaluation waits for a worker")
                #expect(try await makeJobWorker(db.parts()).drain() == 1)
                #expect(try await tier() == "saver")
                _ = try await client.send(
                    .post, "/v1/members/\(id)/redemptions", json: ["points": 20], token: tenant.token)
                #expect(try await tier() == nil)
                let history =
                    try JSON.object(
                        try await client.send(.get, "/v1/members/\(id)/tier-history", token: tenant.token).body)[
                        "items"] as? [[String: Any]] ?? []
                #expect(history.map { $0["source"] as? String } == ["admin", "rule_change"])
                #expect((history.first?["figures"] as? [String: Any])?["points"] as? Int == 30)
            }
        }
    }

    /// The order path works out a rolling window's start in SQL: an order from before the window
    /// does not count towards the next one.
    @Test func test_anOrderBeforeARollingWindow_doesNotCountAtTheNextOrder() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "rolling")
                let rolling = ProgramTests.program(rollingDays: 30)
                #expect(
                    try await client.send(.post, "/v1/programs", json: rolling, token: tenant.token).status == .created)
                // 4,000 thirty-one days ago and 4,000 yesterday: one order in the window, averaging 4,000,
                // is no tier of the template (Gold needs two, Potential at most 3,000); counted together
                // they would be Gold.
                for (index, daysAgo) in [31.0, 1.0].enumerated() {
                    let response = try await client.send(
                        .post, "/v1/orders",
                        json: orderBody(
                            phone: "13700137100", amount: 400_000,
                            orderedAt: Date().addingTimeInterval(-daysAgo * 86_400)),
                        token: tenant.token, headers: Self.idempotency("r\(index)"))
                    #expect(response.status == .created)
                }
                let memberID = try await db.inTenant(tenant.slug) { connection in
                    for try await id in try await connection.query("SELECT id FROM members").decode(Int64.self) {
                        return id
                    }
                    return 0
                }
                let view = try JSON.object(
                    try await client.send(.get, "/v1/members/\(memberID)", token: tenant.token).body)
                #expect(view["tier"] == nil)
                #expect((view["window"] as? [String: Any])?["orders"] as? Int == 1)
            }
        }
    }

    /// An order whose customer has another order in flight (its transaction holds the customer's row,
    /// as every change to a customer's orders does) waits for it, and is decided from it too: an
    /// order naming the customer's phone or id (locked before the insert, which reads the figures) and
    /// one naming two identities (read after the insert) alike. Orders of one
    /// member at once are then each decided from every order committed before them: exactly one
    /// reaches Diamond, at its third order, and none demotes the member again.
    @Test func test_anOrderWhileAnotherOfTheCustomerIsInFlight_isDecidedFromBoth() async throws {
        try await TestDatabase.with(connections: 12) { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "racing")
                let rolling = ProgramTests.program(rollingDays: 365)
                #expect(
                    try await client.send(.post, "/v1/programs", json: rolling, token: tenant.token).status == .created)
                // 6,000 a time: one or two such orders are no tier of the template, three are Diamond.
                func order(_ key: String, customer: [String: Any]) async throws -> (HTTPResponse.Status, Int64?) {
                    var body = orderBody(phone: "", amount: 600_000, orderedAt: Date().addingTimeInterval(-60))
                    body["customer"] = customer
                    let response = try await client.send(
                        .post, "/v1/orders", json: body, token: tenant.token, headers: Self.idempotency(key))
                    return (response.status, Int64(try JSON.object(response.body)["customer_id"] as? String ?? ""))
                }
                func standing(of customer: Int64) async throws -> (String?, [String]) {
                    try await db.inTenant(tenant.slug) { connection in
                        var tier: String?
                        for try await code in try await connection.query(
                            "SELECT tier_code FROM members WHERE customer_id = \(customer)"
                        ).decode(String?.self) {
                            tier = code
                        }
                        var history: [String] = []
                        for try await (from, to, orders) in try await connection.query(
                            """
                            SELECT h.from_tier, h.to_tier, (h.figures->>'orders')::int FROM tier_history h
                            JOIN members m ON m.id = h.member_id WHERE m.customer_id = \(customer) ORDER BY h.id
                            """
                        ).decode((String?, String?, Int).self) {
                            history.append("\(from ?? "-")>\(to ?? "-") at \(orders)")
                        }
                        return (tier, history)
                    }
                }
                /// Runs `order` while another order of `customer`, written as the order path writes
                /// one, holds the customer's row for 600 ms before it commits.
                func whileAnotherIsInFlight(of customer: Int64, _ order: () async throws -> HTTPResponse.Status)
                    async throws
                {
                    let (held, holding) = AsyncStream<Void>.makeStream()
                    async let other: Void = db.inTenant(tenant.slug) { connection in
                        try await connection.execute(
                            "SELECT 1 FROM customers WHERE id = \(customer) FOR NO KEY UPDATE")
                        try await connection.execute(
                            """
                            INSERT INTO orders (customer_id, amount_minor, currency, product_name, ordered_at, status)
                            VALUES (\(customer), 600000, 'CNY', 'Held tour', now() - interval '1 minute', 'confirmed')
                            """)
                        holding.finish()
                        try await Task.sleep(for: .milliseconds(600))
                    }
                    for await _ in held {}
                    let started = ContinuousClock.now
                    #expect(try await order() == .created)
                    try await other
                    #expect(ContinuousClock.now - started > .milliseconds(300), "the order did not wait for the other")
                }

                // By phone: the first order, the one in flight and this one are three orders of 6,000.
                let phone = "13700137300"
                let first = try #require(try await order("first", customer: ["phone": phone]).1)
                try await whileAnotherIsInFlight(of: first) {
                    try await order("while-held", customer: ["phone": phone]).0
                }
                var (tier, history) = try await standing(of: first)
                #expect(tier == "diamond")
                #expect(history == ["->diamond at 3"])

                // By phone and email (read after the insert), and by id, two more customers: the same.
                let both = ["phone": "13700137301", "email": "lin.na@example.cn"]
                let second = try #require(try await order("second", customer: both).1)
                try await whileAnotherIsInFlight(of: second) { try await order("by-both", customer: both).0 }
                #expect(try await standing(of: second) == ("diamond", ["->diamond at 3"]))
                let third = try #require(try await order("third", customer: ["phone": "13700137302"]).1)
                try await whileAnotherIsInFlight(of: third) {
                    try await order("by-id", customer: ["id": String(third)]).0
                }
                #expect(try await standing(of: third) == ("diamond", ["->diamond at 3"]))

                // Eight more by phone at once: each decided from at least three orders, none demotes.
                let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                    for index in 0..<8 {
                        group.addTask { try await order("at-once-\(index)", customer: ["phone": phone]).0 }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(statuses == Array(repeating: .created, count: 8))
                (tier, history) = try await standing(of: first)
                #expect(tier == "diamond")
                #expect(history == ["->diamond at 3"])
            }
        }
    }

    @Test func test_ordersEarnAndPromoteInTheirTransaction_aCancellationReversesAndDemotes() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "earn")
                let rolling = ProgramTests.program(rollingDays: 365)
                _ = try await client.send(.post, "/v1/programs", json: rolling, token: tenant.token)
                let invitation = rolling.merging(["name": "Invitation only", "enrolment": "explicit"]) { $1 }
                #expect(
                    try await client.send(.post, "/v1/programs", json: invitation, token: tenant.token).status
                        == .created)
                var orders: [String] = []
                for index in 0..<3 {
                    let response = try await client.send(
                        .post, "/v1/orders",
                        json: orderBody(
                            phone: "13700137000", amount: 500_000,
                            orderedAt: Date().addingTimeInterval(-Double(3 - index) * 3_600)),
                        token: tenant.token, headers: Self.idempotency("e\(index)"))
                    #expect(response.status == .created)
                    orders.append(try JSON.object(response.body)["id"] as? String ?? "")
                }
                #expect(
                    try await db.tenantCount("members", tenant: tenant.slug) == 1,
                    "orders enrol only where enrolment is first_order")
                let memberID = try await db.inTenant(tenant.slug) { connection in
                    for try await id in try await connection.query("SELECT id FROM members").decode(Int64.self) {
                        return id
                    }
                    return 0
                }
                var view = try JSON.object(
                    try await client.send(.get, "/v1/members/\(memberID)", token: tenant.token).body)
                #expect((view["tier"] as? [String: Any])?["code"] as? String == "diamond")
                // 5,000 and 5,000 at no tier, then 5,000 at Gold's 1.5.
                #expect(view["points_balance"] as? Int == 17_500)
                #expect(view["next_tier"] == nil)

                let cancelled = try await client.send(
                    .post, "/v1/orders/\(orders[2])/cancel", token: tenant.token)
                #expect(cancelled.status == .ok)
                view = try JSON.object(try await client.send(.get, "/v1/members/\(memberID)", token: tenant.token).body)
                #expect((view["tier"] as? [String: Any])?["code"] as? String == "gold")
                #expect(view["points_balance"] as? Int == 10_000)
                let next = view["next_tier"] as? [String: Any]
                #expect(next?["tier"] as? String == "diamond")
                #expect(next?["summary"] as? String == "1 more order to reach Diamond")
                #expect((next?["missing"] as? [String: Any])?["orders"] as? Int == 1)
                #expect((view["window"] as? [String: Any])?["orders"] as? Int == 2)

                let history =
                    try JSON.object(
                        try await client.send(.get, "/v1/members/\(memberID)/tier-history", token: tenant.token).body)[
                        "items"] as? [[String: Any]] ?? []
                #expect(
                    history.map { "\($0["from"] as? String ?? "-")>\($0["to"] as? String ?? "-") \($0["source"]!)" }
                        == ["diamond>gold cancellation", "gold>diamond order", "->gold order"])
                #expect(history.first?["order_id"] as? String == orders[2])
                #expect((history.first?["figures"] as? [String: Any])?["orders"] as? Int == 2)
                // Each change says why in words: the cause, the figures the deciding tier reads, its needs.
                #expect(
                    history.map { $0["reason"] as? String ?? "" } == [
                        "Cancelled order \(orders[2]): 2 orders, an average of 5,000.00 CNY in the window; "
                            + "Diamond needs 3 orders and an average order of at least 5,000.00 CNY",
                        "Order \(orders[2]): 3 orders, an average of 5,000.00 CNY in the window; "
                            + "Diamond needs 3 orders and an average order of at least 5,000.00 CNY",
                        "Order \(orders[1]): 2 orders, an average of 5,000.00 CNY in the window; "
                            + "Gold needs 2 orders and an average order of at least 3,000.00 CNY and an average "
                            + "order of at most 5,000.00 CNY",
                    ])
                let kinds =
                    try JSON.object(
                        try await client.send(.get, "/v1/members/\(memberID)/points", token: tenant.token).body)[
                        "items"] as? [[String: Any]] ?? []
                #expect(
                    kinds.map { "\($0["kind"]!) \($0["points"]!)" }
                        == ["reverse -7500", "earn 7500", "earn 5000", "earn 5000"])
            }
        }
    }
}

@Suite struct MembershipMergeTests {
    @Test func test_aMergeMovesTheOthersMembership_butNotTwoOfOneProgramme() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "mergemember")
                let program =
                    try JSON.object(
                        try await client.send(
                            .post, "/v1/programs",
                            json: ProgramTests.program.merging(["enrolment": "explicit"]) { $1 }, token: tenant.token
                        ).body)["id"] as? String ?? ""
                var customers: [String] = []
                for phone in ["13800000001", "13800000002", "13800000003"] {
                    customers.append(
                        try JSON.object(
                            try await client.send(.post, "/v1/customers", json: ["phone": phone], token: tenant.token)
                                .body)["id"] as? String ?? "")
                }
                func enrol(_ customer: String) async throws -> String {
                    try JSON.object(
                        try await client.send(
                            .post, "/v1/programs/\(program)/members", json: ["customer_id": customer],
                            token: tenant.token
                        ).body)["id"] as? String ?? ""
                }
                let moving = try await enrol(customers[1])
                _ = try await client.send(
                    .post, "/v1/members/\(moving)/points", json: ["points": 40, "reason": "Welcome"],
                    token: tenant.token)
                // Customer 0 is no member: customer 1's membership, with its points, moves to it.
                let merged = try await client.send(
                    .post, "/v1/customers/\(customers[0])/merge", json: ["other_id": customers[1]],
                    token: tenant.token)
                #expect(merged.status == .ok)
                let member = try JSON.object(
                    try await client.send(.get, "/v1/members/\(moving)", token: tenant.token).body)
                #expect(member["customer_id"] as? String == customers[0])
                #expect(member["points_balance"] as? Int == 40)
                // Customer 2 is a member too: the two memberships are not combined, the merge is refused.
                _ = try await enrol(customers[2])
                let refused = try await client.send(
                    .post, "/v1/customers/\(customers[0])/merge", json: ["other_id": customers[2]],
                    token: tenant.token)
                #expect(refused.status == .conflict)
                #expect((try JSON.object(refused.body)["detail"] as? String)?.contains("蓝天会员") == true)
                #expect(
                    try await client.send(.get, "/v1/customers/\(customers[2])", token: tenant.token).status == .ok)
                #expect(try await db.tenantCount("members", tenant: tenant.slug) == 2)
            }
        }
    }
}
