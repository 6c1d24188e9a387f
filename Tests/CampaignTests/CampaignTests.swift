import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ItineraTestSupport
import Testing

@testable import Itinera

/// Win-back campaigns against the real database: the audience and its exclusions, the deterministic
/// split, recovery recorded by the orders themselves, and the results with the uplift's interval.
@Suite struct CampaignTests {
    /// `count` customers whose one order was 120 days ago (40,000 minor units); those at or above
    /// `consenting` (by position) have no marketing consent for e-mail.
    static func lapsed(_ count: Int, consenting: Int, db: TestDatabase, tenant: String) async throws -> [Int64] {
        try await db.inTenant(tenant) { connection in
            let ids = try await connection.query(
                """
                INSERT INTO customers (name, order_count, total_spent_minor, first_order_at, last_order_at)
                SELECT 'Lapsed ' || n, 1, 40000, now() - interval '120 days', now() - interval '120 days'
                FROM generate_series(1, \(count)) n RETURNING id
                """
            ).collect().map { try $0[0].decode(Int64.self) }.sorted()
            try await connection.execute(
                """
                INSERT INTO consents (customer_id, channel, purpose, granted, recorded_at, source)
                SELECT unnest(\(Array(ids.prefix(consenting)))::bigint[]), 'email', 'marketing', true, now(), 'test'
                """)
            return ids
        }
    }

    /// The campaigns' message: an e-mail that names the customer.
    static let template = [
        "channel": "email", "purpose": "marketing", "subject": "We miss you",
        "body": "Come back, {{customer.first_name}}",
    ]

    static func campaign(_ client: some TestClientProtocol, token: String, holdout: Int = 10) async throws -> String {
        let response = try await client.send(
            .post, "/v1/campaigns",
            json: [
                "name": "Come back to Lijiang", "audience": ["lapsed_days_min": 90, "lapsed_days_max": 365],
                "offer": ["gift": "Free airport pick-up"], "channel": "email", "template": "back",
                "holdout_percent": holdout, "attribution_days": 30,
            ], token: token)
        #expect(response.status == .created, "\(String(buffer: response.body))")
        return try JSON.object(response.body)["id"] as? String ?? ""
    }

    /// 1,000 lapsed customers with consent (and 50 without), 10% held out: the split is the hash's;
    /// 30% of the treated and 10% of the hold-out order within the window; the results show exactly
    /// those counts and rates, and the uplift's interval is the two-proportion interval.
    @Test func test_endToEnd_thousandLapsed_holdout_recoveryAndUplift() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "winback")
                _ = try await client.send(.put, "/v1/message-templates/back", json: Self.template, token: tenant.token)
                let customers = try await Self.lapsed(1_050, consenting: 1_000, db: db, tenant: tenant.slug)
                let campaign = try await Self.campaign(client, token: tenant.token)

                let preview = try JSON.object(
                    try await client.send(.post, "/v1/campaigns/\(campaign)/preview", token: tenant.token).body)
                #expect(preview["audience"] as? Int == 1_000)
                #expect((preview["excluded"] as? [String: Any])?["no_consent"] as? Int == 50)
                #expect((preview["sample"] as? [String])?.count == 20)

                let launched = try await client.send(.post, "/v1/campaigns/\(campaign)/launch", token: tenant.token)
                #expect(launched.status == .ok)
                #expect(try JSON.object(launched.body)["state"] as? String == "running")
                // Launching again changes nothing.
                #expect(
                    try await client.send(.post, "/v1/campaigns/\(campaign)/launch", token: tenant.token).status == .ok)

                let groups = try await db.inTenant(tenant.slug) { connection in
                    try await connection.query(
                        "SELECT customer_id, grp FROM campaign_recipients WHERE campaign_id = \(Int64(campaign)!)"
                    ).collect().map { try $0.decode((Int64, String).self) }
                }
                #expect(groups.count == 1_000)
                #expect(Set(groups.map(\.0)).isDisjoint(with: customers.suffix(50)))
                // The split is the documented hash's, and so reproducible.
                for (customer, group) in groups {
                    let digest = Insecure.MD5.hash(data: Data("\(campaign):\(customer)".utf8))
                    let first = digest.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
                    #expect((Int(first) % 100 < 10 ? "holdout" : "treated") == group)
                }
                let treated = groups.filter { $0.1 == "treated" }.map(\.0).sorted()
                let holdout = groups.filter { $0.1 == "holdout" }.map(\.0).sorted()
                let treatedBuyers = Array(treated.prefix(treated.count * 3 / 10))
                let holdoutBuyers = Array(holdout.prefix(holdout.count / 10))
                for (index, customer) in (treatedBuyers + holdoutBuyers).enumerated() {
                    let order = try await client.send(
                        .post, "/v1/orders",
                        json: [
                            "customer": ["id": String(customer)], "amount_minor": 47_200, "currency": "CNY",
                            "product": ["name": "Lijiang 4 days", "category": "tour"],
                            "ordered_at": ISO8601DateFormatter().string(from: Date()), "external_id": "WB-\(index)",
                        ], token: tenant.token, headers: [HTTPField.Name("Idempotency-Key")!: "wb-\(index)"])
                    #expect(order.status == .created)
                }

                let results = try JSON.object(
                    try await client.send(.get, "/v1/campaigns/\(campaign)/results", token: tenant.token).body)
                let t = results["treated"] as? [String: Any] ?? [:]
                let h = results["holdout"] as? [String: Any] ?? [:]
                #expect(t["recipients"] as? Int == treated.count && h["recipients"] as? Int == holdout.count)
                #expect(t["recovered"] as? Int == treatedBuyers.count && h["recovered"] as? Int == holdoutBuyers.count)
                #expect(t["revenue_minor"] as? Int == treatedBuyers.count * 47_200)
                #expect(t["recovered_average_minor"] as? Int == 47_200 && t["prior_average_minor"] as? Int == 40_000)
                let p1 = Double(treatedBuyers.count) / Double(treated.count)
                let p2 = Double(holdoutBuyers.count) / Double(holdout.count)
                #expect(abs((t["rate"] as? Double ?? 0) - p1) < 1e-12)
                let se = (p1 * (1 - p1) / Double(treated.count) + p2 * (1 - p2) / Double(holdout.count)).squareRoot()
                let uplift = results["uplift"] as? [String: Any] ?? [:]
                #expect(abs((uplift["value"] as? Double ?? 0) - (p1 - p2)) < 1e-12)
                #expect(abs((uplift["lower"] as? Double ?? 0) - (p1 - p2 - 1.959963984540054 * se)) < 1e-9)
                #expect(abs((uplift["upper"] as? Double ?? 0) - (p1 - p2 + 1.959963984540054 * se)) < 1e-9)
                #expect((results["verdict"] as? String)?.contains("significant at 95%") == true)

                // A second campaign: those who came back are no longer lapsed; of the rest, the first's
                // treated are in its cool-down and its held-out in its open window.
                let second = try await Self.campaign(client, token: tenant.token)
                let next = try JSON.object(
                    try await client.send(.post, "/v1/campaigns/\(second)/preview", token: tenant.token).body)
                let excluded = next["excluded"] as? [String: Any] ?? [:]
                #expect(next["audience"] as? Int == 0)
                #expect(excluded["cool_down"] as? Int == treated.count - treatedBuyers.count)
                #expect(excluded["holdout_history"] as? Int == holdout.count - holdoutBuyers.count)
            }
        }
    }

    /// Two recipients of one campaign merged during it count once; a recipient merged into a
    /// customer outside the campaign brings their place (and recovery) along.
    @Test func test_aCustomerMergedDuringACampaign_isCountedOnce() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "wbmerge")
                _ = try await client.send(
                    .put, "/v1/message-templates/back",
                    json: ["channel": "email", "purpose": "marketing", "subject": "Hi", "body": "Come back"],
                    token: tenant.token)
                let customers = try await Self.lapsed(3, consenting: 2, db: db, tenant: tenant.slug)
                let campaign = try await Self.campaign(client, token: tenant.token, holdout: 0)
                #expect(
                    try await client.send(.post, "/v1/campaigns/\(campaign)/launch", token: tenant.token).status == .ok)
                func recipients() async throws -> [Int64] {
                    try await db.inTenant(tenant.slug) { connection in
                        try await connection.query(
                            "SELECT customer_id FROM campaign_recipients ORDER BY customer_id"
                        ).collect().map { try $0[0].decode(Int64.self) }
                    }
                }
                #expect(try await recipients() == Array(customers.prefix(2)))
                // Both recipients become one: one place.
                #expect(
                    try await client.send(
                        .post, "/v1/customers/\(customers[0])/merge", json: ["other_id": String(customers[1])],
                        token: tenant.token
                    ).status == .ok)
                #expect(try await recipients() == [customers[0]])
                // A recipient merged into the customer outside the campaign: the place moves along.
                #expect(
                    try await client.send(
                        .post, "/v1/customers/\(customers[2])/merge", json: ["other_id": String(customers[0])],
                        token: tenant.token
                    ).status == .ok)
                #expect(try await recipients() == [customers[2]])
                let results = try JSON.object(
                    try await client.send(.get, "/v1/campaigns/\(campaign)/results", token: tenant.token).body)
                #expect((results["treated"] as? [String: Any])?["recipients"] as? Int == 1)
            }
        }
    }

    /// An order arriving for a treated recipient while the send job passes them: the order's
    /// transaction holds the customer and then records the recovery on the recipient; the job locks
    /// the customers of its batch before their recipients, so it waits for the order instead of
    /// deadlocking with it. Both finish: the recovery is recorded and every recipient is passed once.
    @Test func test_anOrderDuringTheSend_neitherDeadlocksNorLosesARecipient() async throws {
        try await TestDatabase.with { db in
            let parts = db.parts { $0.jobWorkers = 0 }
            let app = Application(router: try buildRouter(parts))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "wbrace")
                _ = try await client.send(.put, "/v1/message-templates/back", json: Self.template, token: tenant.token)
                let customers = try await Self.lapsed(20, consenting: 20, db: db, tenant: tenant.slug)
                try await db.inTenant(tenant.slug) { connection in
                    try await connection.execute(
                        """
                        INSERT INTO customer_identities (customer_id, kind, value, source)
                        SELECT id, 'email', 'lapsed' || id || '@example.com', '' FROM customers
                        """)
                }
                let campaign = try await Self.campaign(client, token: tenant.token, holdout: 0)
                #expect(
                    try await client.send(.post, "/v1/campaigns/\(campaign)/launch", token: tenant.token).status == .ok)
                let customer = try #require(customers.dropFirst(10).first)
                let worker = try makeJobWorker(parts, schedules: false)

                // The order's transaction, as the order path takes its locks: the customer first.
                let send = try await db.inTenant(tenant.slug) { connection in
                    try await connection.execute(
                        "UPDATE customers SET order_count = order_count + 1 WHERE id = \(customer)")
                    let send = Task { try await worker.drain() }
                    try await Task.sleep(for: .milliseconds(1_500))  // the job is at its batch by now
                    try await connection.execute(
                        """
                        UPDATE campaign_recipients SET recovered_at = now(), recovered_amount_minor = 1
                        WHERE customer_id = \(customer) AND recovered_at IS NULL
                        """)
                    return send
                }
                _ = try await send.value

                let (contacted, recovered) = try await db.inTenant(tenant.slug) { connection in
                    try await connection.query(
                        """
                        SELECT count(*) FILTER (WHERE contacted_at IS NOT NULL)::int,
                               count(*) FILTER (WHERE recovered_at IS NOT NULL)::int
                        FROM campaign_recipients WHERE campaign_id = \(Int64(campaign)!)
                        """
                    ).collect()[0].decode((Int, Int).self)
                }
                #expect(contacted == 20 && recovered == 1)
                let attempts = try await db.scalar(
                    "SELECT max(attempts)::int FROM itinera.jobs WHERE kind = 'campaign.send'", as: Int.self)
                #expect(attempts == 1)
            }
        }
    }
}
