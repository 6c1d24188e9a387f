import Foundation
import Hummingbird
import HummingbirdTesting
import ItineraTestSupport
import PostgresNIO
import Testing

@testable import Itinera

/// A small, seeded generator, so that a failing run can be repeated.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite struct TierAgreementTests {
    static let members = 10_000

    /// Tier lists the statement and the evaluator are held to: the documents' template, and one with
    /// every kind of threshold, `any` among them.
    static let tierLists: [[Tier]] = [
        Tier.template,
        [
            Tier(
                code: "platinum", name: "Platinum", rank: 4, combine: .any,
                thresholds: TierThresholds(minTotalSpentMinor: 2_000_000, minPoints: 9_000)),
            Tier(
                code: "frequent", name: "Frequent", rank: 3,
                thresholds: TierThresholds(minOrders: 3, maxDaysSinceLastOrder: 45)),
            Tier(
                code: "band", name: "Band", rank: 2,
                thresholds: TierThresholds(minAverageOrderMinor: 200_000, maxAverageOrderMinor: 400_000)),
            Tier(code: "base", name: "Base", rank: 1, thresholds: TierThresholds()),
        ],
    ]

    static let configurations: [(TierWindow, DowngradePolicy)] = [
        (.calendarYear, .immediate), (.calendarYear, .endOfPeriod), (.rollingDays(180), .graceDays(30)),
        (.rollingDays(90), .endOfPeriod),
    ]

    static let moments = [time("2026-03-15T10:00:00+08:00"), time("2026-01-01T00:00:00+08:00")]

    @Test func test_theSetBasedStatement_andTheEvaluator_agreeOn10000RandomMembers() async throws {
        let seed = UInt64.random(in: 1...UInt64.max)
        try await TestDatabase.with { db in
            var random = SplitMix64(state: seed)
            let app = Application(router: try buildRouter(db.parts()))
            let tenant = try await app.test(.router) { client in try await client.signUp(slugPrefix: "agree") }
            let (programID, orders, standings, points) = try await db.inTenant(tenant.slug) { connection in
                try await Self.populate(&random, on: connection)
            }
            var checked = 0
            var disagreements: [String] = []
            for tiers in Self.tierLists {
                for (window, policy) in Self.configurations {
                    for asOf in Self.moments {
                        let evaluator = TierEvaluator(
                            tiers: tiers, window: window, downgrade: policy, timeZone: shanghai)
                        let reevaluation = TierReevaluation(
                            programID: programID, evaluator: evaluator, asOf: asOf, currency: "CNY")
                        let decisions = try await db.inTenant(tenant.slug) { connection in
                            try await reevaluation.sample(limit: Self.members + 1, on: connection)
                        }
                        #expect(decisions.count == Self.members)
                        for decision in decisions {
                            let figures = WindowFigures.of(
                                orders[decision.customerID] ?? [], points: points[decision.memberID]!, window: window,
                                asOf: asOf, timeZone: shanghai)
                            let expected = evaluator.decide(
                                standings[decision.memberID]!, figures: figures, asOf: asOf)
                            checked += 1
                            if decision.figures != figures || decision.after != expected
                                || decision.before != standings[decision.memberID]
                            {
                                disagreements.append(
                                    "member \(decision.memberID), \(window), \(policy), \(asOf): SQL \(decision.after) \(decision.figures), Swift \(expected) \(figures)"
                                )
                            }
                        }
                    }
                }
            }
            #expect(checked == Self.members * Self.tierLists.count * Self.configurations.count * Self.moments.count)
            #expect(
                disagreements.isEmpty,
                "seed \(seed): \(disagreements.count) disagreements, first: \(disagreements.prefix(3))")
        }
    }

    @Test func test_theMovesAPreviewCounts_areTheMovesApplyingMakes() async throws {
        try await TestDatabase.with { db in
            var random = SplitMix64(state: UInt64.random(in: 1...UInt64.max))
            let app = Application(router: try buildRouter(db.parts()))
            let tenant = try await app.test(.router) { client in try await client.signUp(slugPrefix: "moves") }
            let programID = try await db.inTenant(tenant.slug) { connection in
                try await Self.populate(&random, count: 2_000, on: connection).programID
            }
            let evaluator = TierEvaluator(
                tiers: Tier.template, window: .calendarYear, downgrade: .graceDays(30), timeZone: shanghai)
            let reevaluation = TierReevaluation(
                programID: programID, evaluator: evaluator, asOf: Self.moments[0], currency: "CNY")
            func preview(_ reevaluation: TierReevaluation, sharing: SnapshotSharing) async throws
                -> (TierReevaluation.Preview, parts: Int)
            {
                try await db.inTenant(tenant.slug, isolation: .repeatableRead) { main in
                    let range = try #require(try await TierReevaluation.customerRange(of: programID, on: main))
                    return try await sharing.withHelpers(reevaluation.parts(for: range) - 1, sharing: main) {
                        (try await reevaluation.preview(sampleLimit: 20, range: range, on: $0), $0.count)
                    }
                }
            }
            let (whole, one) = try await preview(reevaluation, sharing: SnapshotSharing(client: db.client, capacity: 0))
            // Split in two by customer id, the second half on a connection lent the first's snapshot.
            var split = reevaluation
            split.customersPerPart = 500
            let (halves, two) = try await preview(split, sharing: SnapshotSharing(client: db.client, capacity: 1))
            #expect((one, two) == (1, 2))
            #expect(halves.members == 2_000 && whole.members == 2_000)
            #expect(halves.moves == whole.moves)
            #expect(halves.sample.count == 20 && whole.sample.count == 20)
            let decisions = try await db.inTenant(tenant.slug) { try await reevaluation.sample(limit: 2_000, on: $0) }
            let moving = Dictionary(
                uniqueKeysWithValues: decisions.filter { $0.before.tier != $0.after.tier }.map { ($0.memberID, $0) })
            for sampled in halves.sample + whole.sample {
                let decision = try #require(moving[sampled.memberID])
                #expect(
                    (sampled.before.tier, sampled.after.tier, sampled.figures.orders)
                        == (decision.before.tier, decision.after.tier, decision.figures.orders))
            }
            let applied = try await db.inTenant(tenant.slug) { try await reevaluation.apply(source: "bulk", on: $0) }
            #expect(!whole.moves.isEmpty)
            #expect(whole.moves == applied)
            let history = try await db.tenantCount("tier_history", tenant: tenant.slug)
            #expect(history == applied.reduce(0) { $0 + $1.count })
            // Applied, the same evaluation moves no one.
            let again = try await preview(split, sharing: SnapshotSharing(client: db.client, capacity: 1)).0
            #expect(again.moves.isEmpty && again.sample.isEmpty && again.members == 2_000)
        }
    }

    /// A programme with `count` members: random orders around the template's thresholds (some
    /// cancelled or refunded, some after the moment of evaluation), random tiers (one the lists do not
    /// have), random pending demotions and balances.
    static func populate(_ random: inout SplitMix64, count: Int = members, on tenant: TenantConnection) async throws
        -> (
            programID: Int64, orders: [Int64: [WindowOrder]], standings: [Int64: TierEvaluator.Standing],
            points: [Int64: Int64]
        )
    {
        var programID: Int64 = 0
        for try await id in try await tenant.query(
            """
            INSERT INTO programs (name, currency, points_per_unit, points_rounding, points_expiry, tier_window,
                                  downgrade, enrolment, card_prefix)
            VALUES ('Agreement', 'CNY', 1, 'down', 'never', 'calendar_year', 'immediate', 'explicit', '77')
            RETURNING id
            """
        ).decode(Int64.self) { programID = id }
        var customers: [Int64] = []
        for try await id in try await tenant.query(
            "INSERT INTO customers (name) SELECT NULL FROM generate_series(1, \(count)) RETURNING id"
        ).decode(Int64.self) { customers.append(id) }

        let amounts: [Int64] = [
            1, 100_000, 299_999, 300_000, 300_001, 450_000, 499_999, 500_000, 500_001, 800_000, 2_000_000,
        ]
        let statuses = ["confirmed", "completed", "completed", "confirmed", "cancelled", "refunded"]
        let from = time("2024-11-01T00:00:00Z").timeIntervalSince1970
        let until = time("2026-04-01T00:00:00Z").timeIntervalSince1970
        var orders: [Int64: [WindowOrder]] = [:]
        var orderCustomers: [Int64] = []
        var orderAmounts: [Int64] = []
        var orderTimes: [Date] = []
        var orderStatuses: [String] = []
        for customer in customers {
            for _ in 0..<Int.random(in: 0...6, using: &random) {
                let amount =
                    Bool.random(using: &random)
                    ? amounts.randomElement(using: &random)! : Int64.random(in: 1...1_500_000, using: &random)
                // Whole seconds, a quarter of them on the last day of 2025 in Shanghai.
                let at =
                    Int.random(in: 0..<4, using: &random) == 0
                    ? time("2025-12-31T00:00:00+08:00").addingTimeInterval(
                        Double(Int.random(in: 0..<172_800, using: &random)))
                    : Date(timeIntervalSince1970: Double(Int(Double.random(in: from..<until, using: &random))))
                let status = statuses.randomElement(using: &random)!
                orders[customer, default: []].append(
                    WindowOrder(
                        amountMinor: amount, orderedAt: at, counts: ["confirmed", "completed"].contains(status)))
                orderCustomers.append(customer)
                orderAmounts.append(amount)
                orderTimes.append(at)
                orderStatuses.append(status)
            }
        }
        try await tenant.execute(
            """
            INSERT INTO orders (customer_id, amount_minor, currency, product_name, ordered_at, status)
            SELECT c, a, 'CNY', 'Trip', t, s FROM unnest(\(orderCustomers)::bigint[], \(orderAmounts)::bigint[],
                                                         \(orderTimes)::timestamptz[], \(orderStatuses)::text[]) AS o(c, a, t, s)
            """)

        let codes: [String?] = [nil, "potential", "gold", "diamond", "platinum", "frequent", "band", "base", "retired"]
        var standingCodes: [String?] = []
        var sinces: [Date?] = []
        var demotionsTo: [String?] = []
        var dues: [Date?] = []
        var balances: [Int64] = []
        for _ in customers {
            let code = codes.randomElement(using: &random)!
            let since = code.map { _ in
                time("2025-01-01T00:00:00Z").addingTimeInterval(Double(Int.random(in: 0..<40_000_000, using: &random)))
            }
            let pending = code != nil && Int.random(in: 0..<4, using: &random) == 0
            standingCodes.append(code)
            sinces.append(since)
            demotionsTo.append(pending ? codes.randomElement(using: &random)! : nil)
            dues.append(
                pending
                    ? time("2026-01-15T00:00:00Z").addingTimeInterval(
                        Double(Int.random(in: 0..<10_000_000, using: &random)))
                    : nil)
            balances.append(
                Int.random(in: 0..<3, using: &random) == 0 ? 0 : Int64.random(in: 0...12_000, using: &random))
        }
        // Arrays carry no nulls here: empty texts and the epoch stand for them.
        let epoch = Date(timeIntervalSince1970: 0)
        var standings: [Int64: TierEvaluator.Standing] = [:]
        var points: [Int64: Int64] = [:]
        let rows = try await tenant.query(
            """
            INSERT INTO members (program_id, customer_id, card_number, tier_code, tier_since, demotion_to,
                                 demotion_due_at, points_balance)
            SELECT \(programID), c, 'A' || c, nullif(code, ''), nullif(since, 'epoch'), nullif(dto, ''),
                   nullif(due, 'epoch'), b
            FROM unnest(\(customers)::bigint[], \(standingCodes.map { $0 ?? "" })::text[],
                        \(sinces.map { $0 ?? epoch })::timestamptz[], \(demotionsTo.map { $0 ?? "" })::text[],
                        \(dues.map { $0 ?? epoch })::timestamptz[], \(balances)::bigint[])
                 AS m(c, code, since, dto, due, b)
            RETURNING id, tier_code, tier_since, demotion_to, demotion_due_at, points_balance
            """)
        for try await (id, code, since, to, due, balance) in rows.decode(
            (Int64, String?, Date?, String?, Date?, Int64).self)
        {
            standings[id] = TierEvaluator.Standing(tier: code, since: since, demotionTo: to, demotionDueAt: due)
            points[id] = balance
        }
        return (programID, orders, standings, points)
    }
}

extension TierAgreementTests {
    /// Each tier change a bulk re-evaluation writes gives the reason `TierReason.sentence` makes from
    /// the figures it recorded, over tier lists with every kind of threshold, and after a replacement
    /// that drops the tiers members held.
    @Test func test_aBulkChangesReason_isTheSentenceOneMemberAtATimeMakes() async throws {
        try await TestDatabase.with { db in
            var random = SplitMix64(state: 0x5EED_0F_4EA5)
            let app = Application(router: try buildRouter(db.parts()))
            let tenant = try await app.test(.router) { client in try await client.signUp(slugPrefix: "reasons") }
            let programID = try await db.inTenant(tenant.slug) { connection in
                try await Self.populate(&random, count: 2_000, on: connection).programID
            }
            var checked = 0
            for (round, tiers) in Self.tierLists.enumerated() {
                let asOf = Self.moments[0].addingTimeInterval(Double(round) * 60)
                let evaluator = TierEvaluator(
                    tiers: tiers, window: .rollingDays(180), downgrade: .immediate, timeZone: shanghai)
                let reevaluation = TierReevaluation(
                    programID: programID, evaluator: evaluator, asOf: asOf, currency: "CNY")
                let moved = try await db.inTenant(tenant.slug) {
                    try await reevaluation.apply(source: "rule_change", on: $0)
                }
                #expect(!moved.isEmpty)
                let rows = try await db.inTenant(tenant.slug) { connection in
                    var rows: [(String?, String?, String, String)] = []
                    for try await row in try await connection.query(
                        "SELECT from_tier, to_tier, figures::text, reason FROM tier_history WHERE changed_at = \(asOf)"
                    ).decode((String?, String?, String, String).self) { rows.append(row) }
                    return rows
                }
                #expect(rows.count == moved.reduce(0) { $0 + $1.count })
                for (from, to, json, reason) in rows {
                    let f = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
                    let figures = WindowFigures(
                        orders: f["orders"] as! Int, totalSpentMinor: Int64(f["total_spent_minor"] as! Int),
                        lastOrderAt: try (f["last_order_at"] as? String).map { try RFC3339DateTranscoder().decode($0) },
                        points: Int64(f["points"] as! Int))
                    let expected = TierReason.sentence(
                        cause: "Tiers replaced", from: from, to: to, tiers: tiers, figures: figures, currency: "CNY",
                        asOf: asOf)
                    #expect(reason == expected)
                    checked += 1
                }
            }
            #expect(checked > 100)
        }
    }
}
