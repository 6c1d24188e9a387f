import Foundation
import PostgresNIO

/// Re-evaluates every member of a programme in one statement: `TierEvaluator.decide` in SQL. The
/// tiers come in as a parameter (JSON), so a preview of tiers not yet saved and the re-evaluation
/// after saving them run the same SQL.
struct TierReevaluation: Sendable {
    let programID: Int64
    let evaluator: TierEvaluator
    let asOf: Date

    /// A move between tiers and how many members make it.
    struct Move: Sendable, Equatable {
        var from: String?
        var to: String?
        var count: Int
    }

    /// One member's decision (for a preview's sample and for tests).
    struct Decision: Sendable, Equatable {
        var memberID: Int64
        var customerID: Int64
        var before: TierEvaluator.Standing
        var after: TierEvaluator.Standing
        var figures: WindowFigures
    }

    /// The tiers as the statement reads them.
    var tiersJSON: String {
        let rows: [[String: Any]] = evaluator.tiers.map { tier in
            var row: [String: Any] = ["code": tier.code, "rank": tier.rank, "combine": tier.combine.rawValue]
            let t = tier.thresholds
            if let v = t.minOrders { row["min_orders"] = v }
            if let v = t.minTotalSpentMinor { row["min_total_spent_minor"] = v }
            if let v = t.minAverageOrderMinor { row["min_average_order_minor"] = v }
            if let v = t.maxAverageOrderMinor { row["max_average_order_minor"] = v }
            if let v = t.maxDaysSinceLastOrder { row["max_days_since_last_order"] = v }
            if let v = t.minPoints { row["min_points"] = v }
            return row
        }
        let data = try! JSONSerialization.data(withJSONObject: rows, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
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
    /// figures. `members` limits it to some members (nil: all of the programme's).
    func decisions(members: [Int64]? = nil) -> PostgresQuery {
        let start = evaluator.window.start(asOf: asOf, timeZone: evaluator.timeZone)
        let due = demotionDue
        let tiers = tiersJSON
        let everyone = members == nil
        let chosen = members ?? []
        return """
            WITH tier_list AS (
                SELECT * FROM jsonb_to_recordset(\(tiers)::jsonb) AS t(
                    code text, rank int, combine text, min_orders int, min_total_spent_minor bigint,
                    min_average_order_minor bigint, max_average_order_minor bigint, max_days_since_last_order int,
                    min_points bigint)
            ), figures AS (
                SELECT m.id, m.customer_id, m.tier_code, m.tier_since, m.demotion_to, m.demotion_due_at,
                       m.points_balance, coalesce(o.orders, 0) AS orders, coalesce(o.total, 0) AS total, o.last,
                       floor(extract(epoch FROM \(asOf)::timestamptz - o.last) / 86400)::int AS days_since
                FROM members m
                LEFT JOIN (
                    SELECT o.customer_id, count(*)::int AS orders, sum(o.amount_minor)::bigint AS total,
                           max(o.ordered_at) AS last
                    FROM orders o
                    WHERE o.status IN ('confirmed', 'completed')
                      AND o.ordered_at >= \(start) AND o.ordered_at <= \(asOf)
                      AND o.customer_id IN (SELECT customer_id FROM members
                                            WHERE program_id = \(programID) AND (\(everyone) OR id = ANY(\(chosen))))
                    GROUP BY o.customer_id
                ) o ON o.customer_id = m.customer_id
                WHERE m.program_id = \(programID) AND (\(everyone) OR m.id = ANY(\(chosen)))
            ), earned AS (
                SELECT f.*, e.code AS earned, coalesce(e.rank, 0) AS earned_rank,
                       coalesce((SELECT c.rank FROM tier_list c WHERE c.code = f.tier_code), 0) AS current_rank
                FROM figures f
                LEFT JOIN LATERAL (
                    SELECT t.code, t.rank FROM tier_list t
                    WHERE \(unescaped: Self.qualifies)
                    ORDER BY t.rank DESC LIMIT 1
                ) e ON true
            ), due AS (
                SELECT e.*,
                       CASE WHEN e.earned_rank >= e.current_rank THEN NULL
                            ELSE coalesce(e.demotion_due_at,
                                          \(due.at),
                                          greatest(\(asOf), coalesce(e.tier_since, \(asOf))
                                                   + make_interval(secs => \(due.daysAfterSince)::float8 * 86400)))
                       END AS due_at
                FROM earned e
            ), decided AS (
                SELECT d.id, d.customer_id, d.tier_code AS old_tier, d.tier_since AS old_since,
                       d.demotion_to AS old_demotion_to, d.demotion_due_at AS old_demotion_due_at,
                       d.orders, d.total, d.last, d.points_balance,
                       CASE WHEN d.due_at IS NULL OR \(asOf) >= d.due_at THEN d.earned ELSE d.tier_code END AS new_tier,
                       CASE WHEN d.due_at IS NULL OR \(asOf) >= d.due_at THEN
                                CASE WHEN d.earned IS NULL THEN NULL
                                     WHEN d.earned IS DISTINCT FROM d.tier_code THEN \(asOf)
                                     ELSE d.tier_since END
                            ELSE d.tier_since END AS new_since,
                       CASE WHEN d.due_at IS NULL OR \(asOf) >= d.due_at THEN NULL ELSE d.earned END AS new_demotion_to,
                       CASE WHEN d.due_at IS NULL OR \(asOf) >= d.due_at THEN NULL ELSE d.due_at END AS new_demotion_due_at
                FROM due d
            )
            """
    }

    /// Applies the decisions: members whose standing changes are updated, each tier change is written
    /// to the history with `source` and its figures. Returns the moves.
    func apply(source: String, members: [Int64]? = nil, order: Int64? = nil, on tenant: TenantConnection)
        async throws -> [Move]
    {
        var query = decisions(members: members)
        let start = evaluator.window.start(asOf: asOf, timeZone: evaluator.timeZone)
        query.sql += """

            , changed AS (
                UPDATE members m SET tier_code = d.new_tier, tier_since = d.new_since,
                    demotion_to = d.new_demotion_to, demotion_due_at = d.new_demotion_due_at
                FROM decided d
                WHERE m.id = d.id
                  AND (d.old_tier, d.old_since, d.old_demotion_to, d.old_demotion_due_at)
                      IS DISTINCT FROM (d.new_tier, d.new_since, d.new_demotion_to, d.new_demotion_due_at)
                RETURNING d.*
            ), history AS (
                INSERT INTO tier_history (member_id, from_tier, to_tier, source, figures, changed_at, order_id)
                SELECT c.id, c.old_tier, c.new_tier, $\(query.binds.count + 1),
                       \(Self.figuresSQL(alias: "c", windowStart: "$\(query.binds.count + 2)",
                                                 asOf: "$\(query.binds.count + 3)")),
                       $\(query.binds.count + 3), $\(query.binds.count + 4)::bigint
                FROM changed c WHERE c.old_tier IS DISTINCT FROM c.new_tier
                RETURNING 1
            )
            SELECT old_tier, new_tier, count(*)::int FROM changed
            WHERE old_tier IS DISTINCT FROM new_tier GROUP BY 1, 2 ORDER BY 1 NULLS FIRST, 2 NULLS FIRST
            """
        query.binds.append(source)
        query.binds.append(start)
        query.binds.append(asOf)
        query.binds.append(order)
        var moves: [Move] = []
        for try await (from, to, count) in try await tenant.query(query).decode((String?, String?, Int).self) {
            moves.append(Move(from: from, to: to, count: count))
        }
        return moves
    }

    /// The moves the decisions would make, changing nothing.
    func moves(on tenant: TenantConnection) async throws -> [Move] {
        var query = decisions()
        query.sql += """

            SELECT old_tier, new_tier, count(*)::int FROM decided
            WHERE old_tier IS DISTINCT FROM new_tier GROUP BY 1, 2 ORDER BY 1 NULLS FIRST, 2 NULLS FIRST
            """
        var moves: [Move] = []
        for try await (from, to, count) in try await tenant.query(query).decode((String?, String?, Int).self) {
            moves.append(Move(from: from, to: to, count: count))
        }
        return moves
    }

    /// Each member's decision, changing nothing: members that would move first, at most `limit`.
    func sample(members: [Int64]? = nil, limit: Int, on tenant: TenantConnection) async throws -> [Decision] {
        var query = decisions(members: members)
        query.sql += """

            SELECT id, customer_id, old_tier, old_since, old_demotion_to, old_demotion_due_at,
                   new_tier, new_since, new_demotion_to, new_demotion_due_at, orders, total, last, points_balance
            FROM decided
            ORDER BY (old_tier IS DISTINCT FROM new_tier) DESC, id
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

    /// Whether tier `t` admits figures `f` (in `earned`): each set threshold is a check, unset ones
    /// are null; `all` needs every set check, `any` one of them; a tier without thresholds admits all.
    static let qualifies = """
        (CASE t.combine
            WHEN 'all' THEN coalesce(f.orders >= t.min_orders, true)
                AND coalesce(f.total >= t.min_total_spent_minor, true)
                AND coalesce(CASE WHEN t.min_average_order_minor IS NULL THEN NULL
                                  ELSE f.orders > 0 AND f.total >= t.min_average_order_minor * f.orders END, true)
                AND coalesce(CASE WHEN t.max_average_order_minor IS NULL THEN NULL
                                  ELSE f.orders > 0 AND f.total <= t.max_average_order_minor * f.orders END, true)
                AND coalesce(CASE WHEN t.max_days_since_last_order IS NULL THEN NULL
                                  ELSE coalesce(f.days_since <= t.max_days_since_last_order, false) END, true)
                AND coalesce(f.points_balance >= t.min_points, true)
            ELSE num_nonnulls(t.min_orders, t.min_total_spent_minor, t.min_average_order_minor,
                              t.max_average_order_minor, t.max_days_since_last_order, t.min_points) = 0
                OR coalesce(f.orders >= t.min_orders, false)
                OR coalesce(f.total >= t.min_total_spent_minor, false)
                OR coalesce(f.orders > 0 AND f.total >= t.min_average_order_minor * f.orders, false)
                OR coalesce(f.orders > 0 AND f.total <= t.max_average_order_minor * f.orders, false)
                OR coalesce(f.days_since <= t.max_days_since_last_order, false)
                OR coalesce(f.points_balance >= t.min_points, false)
        END)
        """
}
