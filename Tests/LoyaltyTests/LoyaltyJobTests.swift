import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ItineraTestSupport
import PostgresNIO
import Testing

@testable import Itinera

/// The background side of loyalty: the re-evaluation job a tier replacement queues, how it meets
/// orders arriving while it runs, and the sweep that expires points and applies due demotions.
@Suite struct LoyaltyJobTests {
    /// Diamond from 3 orders, Silver from 2, Base from 1: under the template, 2 orders of 4,000 are Gold.
    static var byOrders: [[String: Any]] {
        [
            ProgramTests.tier("diamond", rank: 3, ["min_orders": 3]),
            ProgramTests.tier("silver", rank: 2, ["min_orders": 2]),
            ProgramTests.tier("base", rank: 1, ["min_orders": 1]),
        ]
    }

    /// Signs up, creates a rolling-window programme (with `extra` fields) and gives the customer of
    /// each phone `orders` orders of 4,000 in the last hours; answers the programme id.
    static func programme(
        _ client: some TestClientProtocol, tenant: SignedUpTenant, extra: [String: Any] = [:],
        phones: [String], orders: Int = 2
    ) async throws -> String {
        let body = ProgramTests.program(rollingDays: 365)
            .merging(extra) { $1 }
        let created = try await client.send(.post, "/v1/programs", json: body, token: tenant.token)
        #expect(created.status == .created)
        for phone in phones {
            for index in 0..<orders {
                let response = try await client.send(
                    .post, "/v1/orders",
                    json: orderBody(
                        phone: phone, amount: 400_000, orderedAt: Date().addingTimeInterval(-Double(index + 2) * 3_600)),
                    token: tenant.token, headers: MemberTests.idempotency("\(phone)-\(index)"))
                #expect(response.status == .created)
            }
        }
        return try JSON.object(created.body)["id"] as? String ?? ""
    }

    /// A tenant whose one member is Gold under the template, the programme as read then, and its
    /// tiers replaced by `byOrders` (revision 2, under which the member is Diamond).
    static func goldThenReplaced(
        _ client: some TestClientProtocol, _ db: TestDatabase, slugPrefix: String, phone: String
    ) async throws -> (tenant: SignedUpTenant, record: Tenant, stale: Program) {
        let tenant = try await client.signUp(slugPrefix: slugPrefix)
        let id = try await programme(client, tenant: tenant, phones: [phone], orders: 3)
        #expect(Array(try await tiers(db, tenant: tenant.slug).values) == ["gold"])
        let record = try await self.tenant(tenant.slug, db)
        let stale = try await db.inTenant(tenant.slug) { connection in
            try await ProgramStore.find(Int64(id)!, on: connection)!
        }
        #expect(
            try await client.send(.put, "/v1/programs/\(id)/tiers", json: ["tiers": byOrders], token: tenant.token)
                .status == .accepted)
        return (tenant, record, stale)
    }

    static func tenant(_ slug: String, _ db: TestDatabase) async throws -> Tenant {
        let rows = try await db.client.query(
            "SELECT \(unescaped: TenantStore.tenantColumns) FROM itinera.tenants t WHERE t.slug = \(slug)",
            logger: db.logger)
        for try await row in rows { return try TenantStore.tenant(from: row) }
        throw TestSupportError("no tenant \(slug)")
    }

    static func tiers(_ db: TestDatabase, tenant: String) async throws -> [String: String] {
        try await db.inTenant(tenant) { connection in
            var tiers: [String: String] = [:]
            for try await (card, tier) in try await connection.query(
                "SELECT card_number, coalesce(tier_code, '-') FROM members"
            ).decode((String, String).self) { tiers[card] = tier }
            return tiers
        }
    }

    @Test func test_aSecondReplacementStopsTheFirstsJob_andItsOwnReevaluatesEveryone() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "jobs")
                let id = try await Self.programme(client, tenant: tenant, phones: ["13800000001", "13800000002"])
                #expect(Set(try await Self.tiers(db, tenant: tenant.slug).values) == ["gold"])
                var jobs: [String] = []
                for tiers in [[ProgramTests.tier("base", rank: 1)], Self.byOrders] {
                    let response = try await client.send(
                        .put, "/v1/programs/\(id)/tiers", json: ["tiers": tiers], token: tenant.token)
                    #expect(response.status == .accepted)
                    jobs.append(
                        (try JSON.object(response.body)["reevaluation"] as? [String: Any])?["id"] as? String ?? "")
                }
                #expect(Set(jobs).count == 2)
                #expect(try await makeJobWorker(db.parts()).drain() == 2)
                let first = try JSON.object(
                    try await client.send(.get, "/v1/jobs/\(jobs[0])", token: tenant.token).body)
                #expect(first["state"] as? String == "cancelled")
                #expect((first["error"] as? String)?.contains("replaced again") == true)
                let second = try JSON.object(
                    try await client.send(.get, "/v1/jobs/\(jobs[1])", token: tenant.token).body)
                #expect(second["state"] as? String == "succeeded")
                #expect((second["result"] as? [String: Any])?["tiers_revision"] as? Int == 3)
                #expect(Set(try await Self.tiers(db, tenant: tenant.slug).values) == ["silver"])
                // Another tenant cannot read the job; an id that is no job is a 404.
                let other = try await client.signUp(slugPrefix: "jobs-other")
                #expect(try await client.send(.get, "/v1/jobs/\(jobs[1])", token: other.token).status == .notFound)
                #expect(try await client.send(.get, "/v1/jobs/not-a-job", token: tenant.token).status == .notFound)
                let page = try await client.send(.get, "/v1/jobs?limit=1", token: tenant.token)
                let cursor = try JSON.object(page.body)["next_cursor"] as? String ?? ""
                let rest = try JSON.object(
                    try await client.send(.get, "/v1/jobs?limit=1&cursor=\(cursor)", token: tenant.token).body)
                #expect((rest["items"] as? [[String: Any]])?.first?["id"] as? String == jobs[0])
            }
        }
    }

    /// An order that commits while the job passes over its member decided that member under the new
    /// tiers with the order counted; the job, which looked before the order committed, leaves the
    /// member alone instead of writing its older decision over it.
    @Test func test_anOrderCommittedWhileTheJobPasses_keepsItsOwnDecision() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "jobrace")
                let id = try await Self.programme(client, tenant: tenant, phones: ["13800000003"])
                #expect(
                    try await client.send(
                        .put, "/v1/programs/\(id)/tiers", json: ["tiers": Self.byOrders], token: tenant.token
                    ).status == .accepted)
                let record = try await Self.tenant(tenant.slug, db)
                let (evaluated, signal) = AsyncStream<Void>.makeStream()
                let order = Task {
                    try await db.inTenant(tenant.slug) { connection in
                        var orderID: Int64 = 0
                        for try await id in try await connection.query(
                            """
                            INSERT INTO orders (customer_id, amount_minor, currency, product_name, ordered_at, status)
                            SELECT customer_id, 400000, 'CNY', 'Trip', now() - interval '1 hour', 'confirmed'
                            FROM members RETURNING id
                            """
                        ).decode(Int64.self) { orderID = id }
                        let program = try await ProgramStore.find(Int64(id)!, on: connection)!
                        for member in try await MemberStore.memberships(of: 1, on: connection) {
                            try await Loyalty.evaluate(
                                member, program: program, source: "order", order: orderID,
                                in: EventContext(connection: connection, tenant: record, events: DomainEvents()))
                        }
                        signal.yield()
                        // Hold the transaction open while the job looks and then waits for this row.
                        try await Task.sleep(for: .milliseconds(1_500))
                    }
                }
                for await _ in evaluated { break }
                #expect(try await makeJobWorker(db.parts()).drain() == 1)
                try await order.value
                #expect(Array(try await Self.tiers(db, tenant: tenant.slug).values) == ["diamond"])
                let sources = try await db.inTenant(tenant.slug) { connection in
                    var sources: [String] = []
                    for try await (source, tier) in try await connection.query(
                        "SELECT source, to_tier FROM tier_history ORDER BY id"
                    ).decode((String, String?).self) { sources.append("\(source):\(tier ?? "-")") }
                    return sources
                }
                #expect(sources == ["order:gold", "order:diamond"])
            }
        }
    }

    /// An order whose transaction read the tiers before a replacement committed decides under the
    /// replacement: it finds the newer revision beside the member's figures.
    @Test func test_anOrderThatReadTheOldTiers_decidesUnderTheRevisionItFinds() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let (tenant, record, stale) = try await Self.goldThenReplaced(
                    client, db, slugPrefix: "jobrev", phone: "13800000004")
                let recorder = TierChangeRecorder()
                let member = try await db.inTenant(tenant.slug) { connection in
                    let member = try #require(try await MemberStore.memberships(of: 1, on: connection).first)
                    try await Loyalty.evaluate(
                        member, program: stale, tiers: Tier.template, source: "order", order: nil,
                        in: EventContext(connection: connection, tenant: record, events: recorder.events))
                    return member
                }
                #expect(Array(try await Self.tiers(db, tenant: tenant.slug).values) == ["diamond"])
                // The change was published once, as written: gold to diamond, for this member.
                let published = recorder.published.withLock { $0 }
                #expect(
                    published.map(\.changes) == [
                        [
                            TierChanged.Change(
                                member: member.id, customer: member.customerID, from: "gold", to: "diamond")
                        ]
                    ])
                #expect(published.first?.source == "order")
            }
        }
    }

    /// The order path decides from tiers read at the start of its first statement; its write checks
    /// the revision afresh and, finding the tiers replaced, the member is decided again under them.
    @Test func test_aDecisionWrittenUnderReplacedTiers_isMadeAgainUnderTheCurrentOnes() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let (tenant, record, stale) = try await Self.goldThenReplaced(
                    client, db, slugPrefix: "jobwrite", phone: "13800000014")
                try await db.inTenant(tenant.slug) { connection in
                    let evaluator = TierEvaluator(stale, tiers: Tier.template, tenant: record)
                    let asOf = Date()
                    let start = evaluator.window.start(asOf: asOf, timeZone: evaluator.timeZone)
                    for member in try await MemberStore.memberships(of: 1, on: connection) {
                        let (standing, figures, _) = try #require(
                            try await Loyalty.standing(of: member.id, from: start, to: asOf, lock: true, on: connection)
                        )
                        // A decision made under the template (revision 1) is not written: the statement
                        // answers the revision it finds.
                        let write = EarnAndStanding(
                            member: member.id, program: stale.id, revision: stale.tiersRevision, points: 0,
                            order: nil, expiresAt: nil, source: "order", before: standing,
                            after: .init(tier: "potential", since: asOf), figures: figures, window: (start, asOf),
                            reason: "a test write")
                        var found: [Int64] = []
                        for try await revision in try await connection.connection.execute(
                            write, logger: connection.logger)
                        { found.append(revision) }
                        #expect(found == [2])
                        #expect(try await MemberStore.find(member.id, on: connection)?.standing.tier == "gold")
                        // Decided again under revision 2, as the order path does with that answer.
                        try await Loyalty.settle(
                            member, program: stale, evaluator: evaluator, standing: standing, figures: figures,
                            revision: found[0], window: (start, asOf), source: "order", order: nil,
                            in: EventContext(connection: connection, tenant: record, events: DomainEvents()))
                    }
                }
                #expect(Array(try await Self.tiers(db, tenant: tenant.slug).values) == ["diamond"])
            }
        }
    }

    @Test func test_theSweepExpiresTheOldestPoints_andAppliesDueDemotions() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "sweep")
                let id = try await Self.programme(
                    client, tenant: tenant,
                    extra: [
                        "points_expiry": "after_days", "points_expiry_days": 30,
                        "downgrade": ["policy": "grace_days", "days": 10],
                    ], phones: ["13800000005", "13800000006"])
                _ = id
                let members = try await db.inTenant(tenant.slug) { connection in
                    var ids: [Int64] = []
                    for try await member in try await connection.query(
                        "SELECT id FROM members ORDER BY customer_id"
                    ).decode(Int64.self) { ids.append(member) }
                    return ids
                }
                // Each earned 4,000 and then 4,000 (the first order found no tier). The first spends 1,000 of
                // their oldest lot; then that lot expires.
                let redeemed = try await client.send(
                    .post, "/v1/members/\(members[0])/redemptions", json: ["points": 1_000], token: tenant.token)
                #expect(redeemed.status == .created)
                // The second's first order is cancelled: no longer Gold, demoted after 10 days' grace, which we
                // move into the past.
                let orders = try await db.inTenant(tenant.slug) { connection in
                    var ids: [Int64] = []
                    for try await order in try await connection.query(
                        "SELECT id FROM orders WHERE customer_id = 2 ORDER BY id"
                    ).decode(Int64.self) { ids.append(order) }
                    return ids
                }
                #expect(
                    try await client.send(.post, "/v1/orders/\(orders[0])/cancel", token: tenant.token).status == .ok)
                try await db.inTenant(tenant.slug) { connection in
                    try await connection.execute(
                        """
                        UPDATE point_lots SET expires_at = now() - interval '1 minute'
                        WHERE entry_id = (SELECT min(entry_id) FROM point_lots WHERE member_id = \(members[0]))
                        """)
                    try await connection.execute(
                        "UPDATE members SET demotion_due_at = now() - interval '1 minute' WHERE id = \(members[1])")
                }
                #expect(try await Self.tiers(db, tenant: tenant.slug).values.sorted() == ["gold", "gold"])

                let worker = try makeJobWorker(db.parts())
                try await worker.schedulePeriodic()
                #expect(try await worker.drain() == 0, "a tenant's first sweep comes a day after it signed up")
                try await db.client.query(
                    "UPDATE itinera.tenants SET created_at = now() - interval '2 days'", logger: db.logger)
                try await worker.schedulePeriodic()
                // The sweep, the daily prune of delivery's leftovers, the touchpoints' hourly catch-up and
                // the insight refresh.
                #expect(try await worker.drain() == 4)
                try await worker.schedulePeriodic()
                #expect(try await worker.drain() == 0, "one sweep per interval")

                let sweep =
                    (try JSON.object(
                        try await client.send(.get, "/v1/jobs?kind=loyalty.sweep", token: tenant.token).body)["items"]
                    as? [[String: Any]] ?? []).first ?? [:]
                #expect(sweep["state"] as? String == "succeeded")
                let result = sweep["result"] as? [String: Any] ?? [:]
                #expect(result["expired_points"] as? Int == 3_000)
                #expect(result["expired_members"] as? Int == 1)
                #expect(result["members"] as? Int == 2)

                let view = try JSON.object(
                    try await client.send(.get, "/v1/members/\(members[0])", token: tenant.token).body)
                #expect(view["points_balance"] as? Int == 4_000)
                let ledger =
                    try JSON.object(
                        try await client.send(.get, "/v1/members/\(members[0])/points", token: tenant.token).body)[
                        "items"] as? [[String: Any]] ?? []
                #expect(ledger.first?["kind"] as? String == "expire")
                #expect(ledger.first?["points"] as? Int == -3_000)
                #expect(ledger.first?["balance_after"] as? Int == 4_000)
                #expect(try await Self.tiers(db, tenant: tenant.slug).values.sorted() == ["-", "gold"])
                let demoted = try await db.inTenant(tenant.slug) { connection in
                    for try await source in try await connection.query(
                        "SELECT source FROM tier_history WHERE member_id = \(members[1]) ORDER BY id DESC LIMIT 1"
                    ).decode(String.self) { return source }
                    return ""
                }
                #expect(demoted == "bulk")
            }
        }
    }

    /// Ten orders of one customer at once: each is decided after the ones that committed before it
    /// (the order's insert locks the customer; loyalty reads after it), so the member is promoted twice, in
    /// order, and never demoted by an order that missed the others; every order earns.
    @Test func test_tenConcurrentOrdersOfOneCustomer_areDecidedOneAfterTheOther() async throws {
        try await TestDatabase.with(connections: 12) { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "jobburst")
                _ = try await Self.programme(client, tenant: tenant, phones: ["13800000009"], orders: 1)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for index in 1...10 {
                        group.addTask {
                            let response = try await client.send(
                                .post, "/v1/orders",
                                json: orderBody(
                                    phone: "13800000009", amount: 600_000,
                                    orderedAt: Date().addingTimeInterval(-Double(index) * 60)),
                                token: tenant.token, headers: MemberTests.idempotency("burst-\(index)"))
                            #expect(response.status == .created)
                        }
                    }
                    try await group.waitForAll()
                }
                #expect(Array(try await Self.tiers(db, tenant: tenant.slug).values) == ["diamond"])
                let (history, entries) = try await db.inTenant(tenant.slug) { connection in
                    var history: [String] = []
                    for try await (from, to) in try await connection.query(
                        "SELECT from_tier, to_tier FROM tier_history ORDER BY id"
                    ).decode((String?, String?).self) { history.append("\(from ?? "-")>\(to ?? "-")") }
                    var entries = 0
                    for try await count in try await connection.query(
                        "SELECT count(*)::int FROM points_ledger WHERE kind = 'earn'"
                    ).decode(Int.self) { entries = count }
                    return (history, entries)
                }
                // The first order (4,000) holds no tier; the second makes two averaging exactly 5,000 (Gold);
                // the third reaches Diamond, and no later order, seeing all before it, moves the member again.
                #expect(history == ["->gold", "gold>diamond"])
                #expect(entries == 11)
            }
        }
    }
}
