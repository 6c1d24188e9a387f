import Foundation
import PostgresNIO

/// Re-evaluates every member of a programme in one statement: `TierEvaluator.decide` in SQL. The
/// tiers are built into the statement from the evaluator (their thresholds bound as parameters), so
/// a preview of tiers not yet saved and the re-evaluation after saving them run the same SQL. One
/// member at a time is `Loyalty.evaluate`, which calls `TierEvaluator` itself.
struct TierReevaluation: Sendable {
    let programID: Int64
    let evaluator: TierEvaluator
    let asOf: Date
    /// The programme's currency, in which a tier change's reason names amounts.
    let currency: String
    /// The members decided: those whose customer id is above `after` (when set) and at most
    /// `through` (when set); every member by default. A background re-evaluation goes through the
    /// members in such slices, one transaction each.
    var customers: (after: Int64?, through: Int64?) = (nil, nil)

    /// A move between tiers and how many members make it.
    struct Move: Sendable, Equatable {
        var from: String?
        var to: String?
        var count: Int
    }

    /// One member's decision.
    struct Decision: Sendable, Equatable {
        var memberID: Int64
        var customerID: Int64
        var before: TierEvaluator.Standing
        var after: TierEvaluator.Standing
        var figures: WindowFigures
    }

    /// When a demotion found now falls due: one moment for every member, or (end of period under a
    /// rolling window) one window's length after each member reached their tier.
    var demotionDue: (at: Date?, daysAfterSince: Int?) {
        switch evaluator.downgrade {
        case .immediate: (asOf, nil)
        case .graceDays(let days): (asOf.addingTimeInterval(Double(days) * 86_400), nil)
        case .endOfPeriod:
            switch evaluator.window {
            case .calendarYear: (TierWindow.startOfNextYear(after: asOf, timeZone: evaluator.timeZone), nil)
            case .rollingDays(let days): (nil, days)
            }
        }
    }

    /// The statement up to the `decided` relation: each member's standing before and after, with the
    /// figures.
    ///
    /// Each tier's qualification is a boolean expression over the figures with the tier's set
    /// thresholds bound as parameters, tried best tier first in one `CASE`: no subquery runs per member.
    /// `due` ends in `OFFSET 0` so that PostgreSQL computes each member's earned tier and due date
    /// once: merged into `decided`, that `CASE` would be evaluated again for each of the columns that
    /// use it (a second of a preview over a million members).
    func decisions() -> PQStatement { decidedWithMembers().query }

    /// `decisions()` and the condition, over `members m`, that picks this re-evaluation's members
    /// (its placeholders bound in that query), for a statement that updates them.
    func decidedWithMembers() -> (query: PQStatement, members: String) {
        var q = QueryBuilder()
        let start = evaluator.window.start(asOf: asOf, timeZone: evaluator.timeZone)
        let due = demotionDue
        let asOf = q.bind(self.asOf)
        let program = q.bind(programID)
        var earned = "CASE"
        for tier in evaluator.tiers {
            earned += " WHEN \(Self.qualifies(tier, figures: "f", builder: &q)) THEN \(q.bind(tier.code))"
        }
        earned += " END"
        var earnedRank = "CASE e.earned"
        var currentRank = "CASE e.tier_code"
        for tier in evaluator.tiers {
            let code = q.bind(tier.code)
            let rank = q.bind(tier.rank)
            earnedRank += " WHEN \(code) THEN \(rank)::int"
            currentRank += " WHEN \(code) THEN \(rank)::int"
        }
        earnedRank += " ELSE 0 END"
        currentRank += " ELSE 0 END"
        let dueAt =
            due.daysAfterSince.map {
                "greatest(\(asOf)::timestamptz, coalesce(r.tier_since, \(asOf)::timestamptz) + make_interval(secs => \(q.bind($0))::float8 * 86400))"
            } ?? "\(q.bind(due.at ?? self.asOf))::timestamptz"
        let windowStart = q.bind(start)
        var memberSlice = ""
        var orderSlice = ""
        if let after = customers.after {
            let bound = q.bind(after)
            memberSlice += " AND m.customer_id > \(bound)::bigint"
            orderSlice += " AND o.customer_id > \(bound)::bigint"
        }
        if let through = customers.through {
            let bound = q.bind(through)
            memberSlice += " AND m.customer_id <= \(bound)::bigint"
            orderSlice += " AND o.customer_id <= \(bound)::bigint"
        }
        q.sql = """
            WITH figures AS (
                SELECT m.id, m.xmin AS row_version, m.customer_id, m.tier_code, m.tier_since, m.demotion_to,
                       m.demotion_due_at,
                       m.points_balance, coalesce(o.orders, 0) AS orders, coalesce(o.total, 0) AS total, o.last,
                       floor(extract(epoch FROM \(asOf)::timestamptz - o.last) / 86400)::int AS days_since
                FROM members m
                LEFT JOIN (
                    SELECT o.customer_id, count(*)::int AS orders, sum(o.amount_minor)::bigint AS total,
                           max(o.ordered_at) AS last
                    FROM orders o
                    WHERE o.status IN ('confirmed', 'completed')
                      AND o.ordered_at >= \(windowStart)::timestamptz AND o.ordered_at <= \(asOf)::timestamptz\(orderSlice)
                    GROUP BY o.customer_id
                ) o ON o.customer_id = m.customer_id
                WHERE m.program_id = \(program)::bigint\(memberSlice)
            ), earned AS (
                SELECT f.*, \(earned) AS earned FROM figures f
            ), ranked AS (
                SELECT e.*, \(earnedRank) AS earned_rank, \(currentRank) AS current_rank FROM earned e
            ), due AS (
                SELECT r.*,
                       CASE WHEN r.earned_rank >= r.current_rank THEN NULL
                            ELSE coalesce(r.demotion_due_at, \(dueAt)) END AS due_at
                FROM ranked r
                OFFSET 0
            ), decided AS (
                SELECT d.id, d.row_version, d.customer_id, d.tier_code AS old_tier, d.tier_since AS old_since,
                       d.demotion_to AS old_demotion_to, d.demotion_due_at AS old_demotion_due_at,
                       d.orders, d.total, d.last, d.points_balance,
                       CASE WHEN d.due_at IS NULL OR \(asOf)::timestamptz >= d.due_at THEN d.earned ELSE d.tier_code END
                           AS new_tier,
                       CASE WHEN d.due_at IS NULL OR \(asOf)::timestamptz >= d.due_at THEN
                                CASE WHEN d.earned IS NULL THEN NULL
                                     WHEN d.earned IS DISTINCT FROM d.tier_code THEN \(asOf)::timestamptz
                                     ELSE d.tier_since END
                            ELSE d.tier_since END AS new_since,
                       CASE WHEN d.due_at IS NULL OR \(asOf)::timestamptz >= d.due_at THEN NULL ELSE d.earned END
                           AS new_demotion_to,
                       CASE WHEN d.due_at IS NULL OR \(asOf)::timestamptz >= d.due_at THEN NULL ELSE d.due_at END
                           AS new_demotion_due_at
                FROM due d
            )
            """
        return (q.query, "m.program_id = \(program)::bigint\(memberSlice)")
    }

    /// Settings for a pass over many members, for this transaction only.
    ///
    /// The plan wanted walks the orders' customer index (which carries the amount and status) in
    /// customer order, aggregates each customer's window as it goes and merges that with the members
    /// in the same order. PostgreSQL's own estimate prefers to aggregate the orders into a hash table
    /// of every customer and join the members by hash, which takes half as long again; with hash
    /// aggregation and hash joins off for the statement it takes the streaming plan. Parallel
    /// workers would each build the whole aggregate again (three times the work on two cores), and
    /// compiling the statement (`jit`) costs a second. `work_mem` covers the sort of the moves and
    /// the slices' updates without spilling to disk.
    static func prepareBulk(on tenant: TenantConnection) async throws {
        try await tenant.execute(
            """
            SELECT set_config('work_mem', '256MB', true), set_config('max_parallel_workers_per_gather', '0', true),
                   set_config('jit', 'off', true), set_config('enable_hashagg', 'off', true),
                   set_config('enable_hashjoin', 'off', true)
            """)
    }

    /// Applies the decisions: members whose standing changes are updated, each tier change is written
    /// to the history with `source` and its figures. Returns the moves.
    ///
    /// A member whose row changed after the statement's snapshot (an order or a cancellation
    /// committed meanwhile, which evaluated them itself under the tiers then current) keeps what that
    /// wrote: the update applies only to the row version the decision was made from.
    func apply(source: String, on tenant: TenantConnection) async throws -> [Move] {
        Self.moves(of: try await applyChanges(source: source, on: tenant))
    }

    /// The moves `changes` make, counted by tier pair.
    static func moves(of changes: [TierChanged.Change]) -> [Move] {
        var moves: [String: Move] = [:]
        for change in changes {
            moves["\(change.from ?? "")→\(change.to ?? "")", default: Move(from: change.from, to: change.to, count: 0)]
                .count += 1
        }
        return moves.values.sorted { ($0.from ?? "", $0.to ?? "") < ($1.from ?? "", $1.to ?? "") }
    }

    /// `apply`, answering each member whose tier changed.
    func applyChanges(source: String, on tenant: TenantConnection) async throws -> [TierChanged.Change] {
        try await Self.prepareBulk(on: tenant)
        var (query, members) = decidedWithMembers()
        let start = evaluator.window.start(asOf: asOf, timeZone: evaluator.timeZone)
        var reasons = QueryBuilder(binds: query.binds)
        let reason = TierReason.sql(
            cause: TierReason.cause(source: source, order: nil), tiers: evaluator.tiers, currency: currency,
            asOf: reasons.bind(asOf), builder: &reasons)
        query.binds = reasons.binds
        query.sql += """

            , changed AS (
                UPDATE members m SET tier_code = d.new_tier, tier_since = d.new_since,
                    demotion_to = d.new_demotion_to, demotion_due_at = d.new_demotion_due_at
                FROM decided d
                WHERE m.id = d.id AND \(members) AND m.xmin = d.row_version
                  AND (d.old_tier, d.old_since, d.old_demotion_to, d.old_demotion_due_at)
                      IS DISTINCT FROM (d.new_tier, d.new_since, d.new_demotion_to, d.new_demotion_due_at)
                RETURNING d.*
            ), history AS (
                INSERT INTO tier_history (member_id, from_tier, to_tier, source, figures, changed_at, reason)
                SELECT c.id, c.old_tier, c.new_tier, $\(query.binds.count + 1),
                       \(Self.figuresSQL(alias: "c", windowStart: "$\(query.binds.count + 2)",
                                                 asOf: "$\(query.binds.count + 3)")),
                       $\(query.binds.count + 3), \(reason)
                FROM changed c WHERE c.old_tier IS DISTINCT FROM c.new_tier
                RETURNING 1
            )
            SELECT id, customer_id, old_tier, new_tier FROM changed WHERE old_tier IS DISTINCT FROM new_tier ORDER BY id
            """
        query.binds.append(source)
        query.binds.append(start)
        query.binds.append(asOf)
        var changes: [TierChanged.Change] = []
        for try await (member, customer, from, to) in try await tenant.query(query).decode(
            (Int64, Int64, String?, String?).self)
        {
            changes.append(TierChanged.Change(member: member, customer: customer, from: from, to: to))
        }
        return changes
    }

    /// What a preview answers: the members decided, the moves and a sample of members who would move.
    struct Preview: Sendable, Equatable {
        var members: Int
        var moves: [Move]
        var sample: [Decision]
    }

    /// The lowest and the highest customer id among the programme's members (nil without members).
    static func customerRange(of program: Int64, on tenant: TenantConnection) async throws -> ClosedRange<Int64>? {
        let rows = try await tenant.query(
            "SELECT min(customer_id), max(customer_id) FROM members WHERE program_id = \(program)")
        for try await (low, high) in rows.decode((Int64?, Int64?).self) {
            if let low, let high { return low...high }
        }
        return nil
    }

    /// Customer ids per part below which a preview is not split further.
    var customersPerPart: Int64 = 200_000
    /// Most parts a preview is split into: one per core of the database server it was measured on.
    static let maxParts = 2

    /// How many parts a preview of members whose customer ids span `range` is worth splitting into.
    func parts(for range: ClosedRange<Int64>) -> Int {
        Int(min(Int64(Self.maxParts), max(1, (range.upperBound - range.lowerBound + 1) / customersPerPart)))
    }

    /// The moves the decisions would make and up to `sampleLimit` members who would move (those the
    /// lowest part found first, answered by member id), changing nothing. The members, whose customer ids
    /// lie in `range`, are split by customer id into as many parts as there are `connections`, each
    /// part decided on its own connection at the same time; the connections must read one snapshot
    /// (`SnapshotSharing`).
    func preview(sampleLimit: Int, range: ClosedRange<Int64>, on connections: [TenantConnection]) async throws
        -> Preview
    {
        let count = Int64(connections.count)
        let span = range.upperBound - range.lowerBound + 1
        // Part i takes the customer ids above bounds[i] through bounds[i + 1]; the first and the last
        // are open-ended.
        let bounds: [Int64?] = (0...count).map { i in
            i == 0 || i == count ? nil : range.lowerBound - 1 + span / count * i
        }
        let parts = try await withThrowingTaskGroup(of: (Int, Preview).self) { group in
            for (i, connection) in connections.enumerated() {
                var part = self
                part.customers = (bounds[i], bounds[i + 1])
                group.addTask { (i, try await part.previewPart(sampleLimit: sampleLimit, on: connection)) }
            }
            var parts: [(Int, Preview)] = []
            for try await part in group { parts.append(part) }
            return parts.sorted { $0.0 < $1.0 }.map(\.1)
        }
        var moves: [Move] = []
        for move in parts.flatMap(\.moves) {
            if let i = moves.firstIndex(where: { $0.from == move.from && $0.to == move.to }) {
                moves[i].count += move.count
            } else {
                moves.append(move)
            }
        }
        moves.sort { ($0.from ?? "", $0.to ?? "") < ($1.from ?? "", $1.to ?? "") }
        let sample = parts.flatMap(\.sample).prefix(sampleLimit).sorted { $0.memberID < $1.memberID }
        return Preview(members: parts.reduce(0) { $0 + $1.members }, moves: moves, sample: sample)
    }

    /// The preview of this re-evaluation's members (`customers`) on one connection: their count, the
    /// moves and the first `sampleLimit` members found who would move.
    func previewPart(sampleLimit: Int, on tenant: TenantConnection) async throws -> Preview {
        try await Self.prepareBulk(on: tenant)
        var query = decisions()
        query.sql += """
            , moved AS MATERIALIZED (
                SELECT * FROM decided WHERE old_tier IS DISTINCT FROM new_tier
            )
            SELECT true, old_tier, new_tier, count(*)::int, NULL::bigint, NULL::bigint, NULL::int, NULL::bigint,
                   NULL::timestamptz, NULL::bigint
            FROM moved GROUP BY old_tier, new_tier
            UNION ALL
            (SELECT false, old_tier, new_tier, 1, id, customer_id, orders, total, last, points_balance
             FROM moved LIMIT $\(query.binds.count + 1))
            """
        query.binds.append(sampleLimit)
        var preview = Preview(members: 0, moves: [], sample: [])
        for try await c in try await tenant.query(query).decode(
            (Bool, String?, String?, Int, Int64?, Int64?, Int?, Int64?, Date?, Int64?).self)
        {
            if c.0 {
                preview.moves.append(Move(from: c.1, to: c.2, count: c.3))
            } else if let member = c.4, let customer = c.5 {
                preview.sample.append(
                    Decision(
                        memberID: member, customerID: customer, before: .init(tier: c.1), after: .init(tier: c.2),
                        figures: WindowFigures(
                            orders: c.6 ?? 0, totalSpentMinor: c.7 ?? 0, lastOrderAt: c.8, points: c.9 ?? 0)))
            }
        }
        preview.members = try await ProgramStore.memberCount(programID, customers: customers, on: tenant)
        return preview
    }

    /// Every member's decision, changing nothing, by member id, at most `limit` (the agreement test
    /// reads them all).
    func sample(limit: Int, on tenant: TenantConnection) async throws -> [Decision] {
        var query = decisions()
        query.sql += """

            SELECT id, customer_id, old_tier, old_since, old_demotion_to, old_demotion_due_at,
                   new_tier, new_since, new_demotion_to, new_demotion_due_at, orders, total, last, points_balance
            FROM decided
            ORDER BY id
            LIMIT $\(query.binds.count + 1)
            """
        query.binds.append(limit)
        var decisions: [Decision] = []
        let rows = try await tenant.query(query)
        for try await row in rows {
            let columns = try row.decode(
                (
                    Int64, Int64, String?, Date?, String?, Date?, String?, Date?, String?, Date?, Int, Int64, Date?,
                    Int64
                ).self)
            decisions.append(
                Decision(
                    memberID: columns.0, customerID: columns.1,
                    before: .init(tier: columns.2, since: columns.3, demotionTo: columns.4, demotionDueAt: columns.5),
                    after: .init(tier: columns.6, since: columns.7, demotionTo: columns.8, demotionDueAt: columns.9),
                    figures: WindowFigures(
                        orders: columns.10, totalSpentMinor: columns.11, lastOrderAt: columns.12, points: columns.13)))
        }
        return decisions
    }

    /// The figures a tier change is recorded with, as SQL over `alias` (a `decided` row).
    static func figuresSQL(alias a: String, windowStart: String, asOf: String) -> String {
        """
        jsonb_build_object('orders', \(a).orders, 'total_spent_minor', \(a).total, 'last_order_at', \(a).last,
                           'points', \(a).points_balance, 'window_start', \(windowStart)::timestamptz,
                           'as_of', \(asOf)::timestamptz)
        """
    }

    /// Whether `tier` admits the figures of relation `f`: each threshold the tier sets is a check,
    /// `all` needs every one, `any` one of them; a tier without thresholds admits all. A check on the
    /// average or the last order is unmet without orders (null `days_since` makes it null, which a
    /// `CASE` does not take).
    static func qualifies(_ tier: Tier, figures f: String, builder q: inout QueryBuilder) -> String {
        let t = tier.thresholds
        var checks: [String] = []
        if let v = t.minOrders { checks.append("\(f).orders >= \(q.bind(v))::int") }
        if let v = t.minTotalSpentMinor { checks.append("\(f).total >= \(q.bind(v))::bigint") }
        if let v = t.minAverageOrderMinor {
            checks.append("(\(f).orders > 0 AND \(f).total >= \(q.bind(v))::bigint * \(f).orders)")
        }
        if let v = t.maxAverageOrderMinor {
            checks.append("(\(f).orders > 0 AND \(f).total <= \(q.bind(v))::bigint * \(f).orders)")
        }
        if let v = t.maxDaysSinceLastOrder { checks.append("\(f).days_since <= \(q.bind(v))::int") }
        if let v = t.minPoints { checks.append("\(f).points_balance >= \(q.bind(v))::bigint") }
        guard !checks.isEmpty else { return "true" }
        return "(" + checks.joined(separator: tier.combine == .all ? " AND " : " OR ") + ")"
    }
}
