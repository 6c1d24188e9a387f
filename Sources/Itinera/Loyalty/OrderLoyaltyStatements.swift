import Foundation
import PostgresNIO

// What an order does to loyalty, in prepared statements (decision 0002): the programmes with the
// customer's memberships (locked), each programme's tiers and the customer's window figures, read by
// the order's insert itself when the customer's orders are current there (`LoyaltyOrderRead`,
// decisions 0009 and 0010) or by `OrderLoyaltyRead` after it; then, once the member is decided in
// Swift, per membership the earn and the new standing with its history (`EarnAndStanding`, which
// every other evaluation writes with too).

/// What an order's loyalty is decided from, as JSON: for each programme in the order's currency, the
/// customer's membership when there is one (locked), its tiers (best first) and the figures of the
/// customer's orders in the programme's tier window up to the moment of recording, the order just
/// recorded included (`OrderProgramRead`). SQL `NULL` when the tenant runs no programme at all, so
/// that loyalty costs nothing more there; the JSON `null` when the customer's orders were not current
/// in the statement (`OrderInsertNames.customerLocked`), and then nothing is read or locked.
///
/// It is read in the order's insert (an `OrderInsertRead`, decision 0010), or after it
/// (`OrderLoyaltyRead`) when the insert could not read it. The memberships are locked first (in the
/// CTE, whose rows are the newest versions), so that a redemption, an adjustment or a re-evaluation
/// slice that changed the member meanwhile is seen. The figures and the tiers are read as of the
/// statement's start: no order of the customer can have changed since, because the customer's row
/// was locked as every change to a customer's orders locks it; tiers replaced meanwhile are caught by
/// `EarnAndStanding`'s revision check.
enum LoyaltyOrderRead: OrderInsertRead {
    static func sql(_ n: OrderInsertNames) -> String {
        expression(
            customer: n.customer, currency: n.currency, asOf: n.asOf, timeZone: n.timeZone, inserted: n.order,
            when: n.customerLocked)
    }

    /// The read over SQL expressions. `inserted` names an order row the statement inserts (which its
    /// own snapshot does not see): it is added to the figures when it counts. `when` is a condition
    /// on parameters only.
    static func expression(
        customer: String, currency: String, asOf: String, timeZone: String, inserted o: String?, when condition: String
    ) -> String {
        // The inserted order, when it counts in the window, added to the figures read.
        var figures = "f.orders, f.total, f.last"
        var counts = ""
        if let o {
            figures = """
                f.orders + CASE WHEN n.counts THEN 1 ELSE 0 END AS orders,
                f.total + CASE WHEN n.counts THEN \(o).amount_minor ELSE 0 END AS total,
                CASE WHEN n.counts THEN greatest(f.last, \(o).ordered_at) ELSE f.last END AS last
                """
            counts = """
                LATERAL (SELECT \(o).status IN ('confirmed', 'completed') AND \(o).ordered_at >= w.start
                                AND \(o).ordered_at <= \(asOf) AS counts) n,
                """
        }
        return """
            CASE WHEN NOT EXISTS (SELECT FROM programs) THEN NULL
                 WHEN NOT \(condition) THEN 'null'
                 ELSE (
                WITH locked AS (
                    SELECT id, program_id, card_number, tier_code, tier_since, demotion_to, demotion_due_at,
                           points_balance, enrolled_at
                    FROM members WHERE customer_id = \(customer)
                    FOR NO KEY UPDATE
                )
                SELECT coalesce(json_agg(r ORDER BY r.id), '[]')::text FROM (
                    SELECT \(ProgramStore.columns.split(separator: ",").map { "p." + $0.trimmed }.joined(separator: ", ")),
                           m.id AS member_id, m.card_number, m.tier_code, m.tier_since, m.demotion_to,
                           m.demotion_due_at, m.points_balance, m.enrolled_at,
                           (SELECT coalesce(json_agg(\(ProgramStore.tierJSON) ORDER BY t.rank DESC), '[]')::text
                            FROM tiers t WHERE t.program_id = p.id) AS tiers,
                           w.start, \(figures)
                    FROM programs p LEFT JOIN locked m ON m.program_id = p.id,
                         LATERAL (SELECT CASE p.tier_window
                                             WHEN 'rolling_days'
                                             THEN \(asOf) - make_interval(secs => p.tier_window_days * 86400.0::float8)
                                             ELSE date_trunc('year', \(asOf) AT TIME ZONE \(timeZone)) AT TIME ZONE \(timeZone)
                                         END AS start) w,
                         \(counts)
                         \(Loyalty.windowFigures(customer: customer, start: "w.start", asOf: asOf))
                    WHERE p.currency = \(currency)
                ) r)
            END
            """
    }

    /// The programmes in `json`, the read's value: `nil` for the JSON `null` (not read).
    static func programs(_ json: String, customer: Int64) throws -> [OrderProgramRead]? {
        guard json != "null" else { return nil }
        var programs = try decoder.decode([OrderProgramRead].self, from: Data(json.utf8))
        for index in programs.indices { programs[index].member?.customerID = customer }
        return programs
    }

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        let dates = RFC3339DateTranscoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            try dates.decode(try decoder.singleValueContainer().decode(String.self))
        }
        return decoder
    }()
}

/// `LoyaltyOrderRead` made after the order's insert, for an order whose insert could not make it.
struct OrderLoyaltyRead: PQPreparedStatement {
    static let sql = """
        SELECT \(LoyaltyOrderRead.expression(
            customer: "$1::bigint", currency: "$2::text", asOf: "$3::timestamptz", timeZone: "$4::text", inserted: nil,
            when: "true"))
        """
    typealias Row = String?

    let customer: Int64
    let currency: String
    let asOf: Date
    let timeZone: String

    func makeBindings() throws -> PQBindings {
        var bindings = PQBindings(capacity: 4)
        bindings.append(customer)
        bindings.append(currency)
        bindings.append(asOf)
        bindings.append(timeZone)
        return bindings
    }

    func decodeRow(_ row: PQRow) throws -> String? { try row.decode(String?.self) }
}

/// One programme as `LoyaltyOrderRead` finds it: the programme, the customer's membership, the
/// tiers, the window's start and the figures (whose `points` is the membership's balance before the
/// order, 0 without one).
struct OrderProgramRead: Decodable {
    let program: Program
    var member: Member?
    let tiers: [Tier]
    let windowStart: Date
    let figures: WindowFigures

    enum CodingKeys: String, CodingKey {
        case memberID = "member_id", cardNumber = "card_number", tierCode = "tier_code", tierSince = "tier_since"
        case demotionTo = "demotion_to", demotionDueAt = "demotion_due_at", pointsBalance = "points_balance"
        case enrolledAt = "enrolled_at", tiers, start, orders, total, last
    }

    init(from decoder: any Decoder) throws {
        program = try ProgramRecord(from: decoder).program
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let id = try c.decodeIfPresent(Int64.self, forKey: .memberID) {
            member = Member(
                id: id, programID: program.id, customerID: 0,
                cardNumber: try c.decode(String.self, forKey: .cardNumber),
                standing: .init(
                    tier: try c.decodeIfPresent(String.self, forKey: .tierCode),
                    since: try c.decodeIfPresent(Date.self, forKey: .tierSince),
                    demotionTo: try c.decodeIfPresent(String.self, forKey: .demotionTo),
                    demotionDueAt: try c.decodeIfPresent(Date.self, forKey: .demotionDueAt)),
                pointsBalance: try c.decode(Int64.self, forKey: .pointsBalance),
                enrolledAt: try c.decode(Date.self, forKey: .enrolledAt))
        } else {
            member = nil
        }
        tiers = try ProgramStore.tiers(json: try c.decode(String.self, forKey: .tiers))
        windowStart = try c.decode(Date.self, forKey: .start)
        figures = WindowFigures(
            orders: try c.decode(Int.self, forKey: .orders), totalSpentMinor: try c.decode(Int64.self, forKey: .total),
            lastOrderAt: try c.decodeIfPresent(Date.self, forKey: .last), points: member?.pointsBalance ?? 0)
    }
}

/// Writes what an evaluation decided for a member whose row the transaction has locked: credits
/// `points` (when there are any: the balance, the ledger entry for `order` and the lot), and, when
/// the standing changed, the new standing and (when the tier changed) its history entry with the
/// figures that decided it. The standing is written only if the programme's tiers are still at
/// `revision`, the one the decision was made under, read afresh by this statement: the answer is
/// the revision found, and a caller who finds another decides again under the tiers now current (a
/// re-evaluation job leaves alone a member whose row changed after it looked).
struct EarnAndStanding: PQPreparedStatement {
    static let sql = """
        WITH found AS (
            SELECT coalesce((SELECT tiers_revision FROM programs WHERE id = $2), 0) AS tiers_revision
        ), current AS (
            SELECT tiers_revision = $3 AS current, tiers_revision FROM found
        ), member AS (
            UPDATE members m SET points_balance = m.points_balance + $4,
                tier_code = CASE WHEN c.current AND $8 THEN $9 ELSE m.tier_code END,
                tier_since = CASE WHEN c.current AND $8 THEN $10 ELSE m.tier_since END,
                demotion_to = CASE WHEN c.current AND $8 THEN $11 ELSE m.demotion_to END,
                demotion_due_at = CASE WHEN c.current AND $8 THEN $12 ELSE m.demotion_due_at END
            FROM current c
            WHERE m.id = $1 AND ($4 > 0 OR (c.current AND $8))
            RETURNING m.points_balance, c.current AND $8 AS standing
        ), entry AS (
            INSERT INTO points_ledger (member_id, kind, points, balance_after, order_id, actor_type)
            SELECT $1, 'earn', $4, b.points_balance, $5, 'system' FROM member b WHERE $4 > 0
            RETURNING id, created_at
        ), lot AS (
            INSERT INTO point_lots (entry_id, member_id, points, remaining, earned_at, expires_at)
            SELECT e.id, $1, $4, $4, e.created_at, $6 FROM entry e
        ), history AS (
            INSERT INTO tier_history (member_id, from_tier, to_tier, source, figures, order_id, changed_at, reason)
            SELECT $1, $13, $9, $7,
                   \(TierReevaluation.figuresSQL(alias: "f", windowStart: "$18", asOf: "$19")), $5, $19, $20
            FROM member s, (SELECT $14::int AS orders, $15::bigint AS total, $16::timestamptz AS last,
                                   $17::bigint AS points_balance) f
            WHERE s.standing AND $13::text IS DISTINCT FROM $9::text
        )
        SELECT tiers_revision FROM current
        """

    let member: Int64
    let program: Int64
    /// The tiers revision the decision was made under.
    let revision: Int64
    let points: Int64
    /// The order the points and the tier change come from, if any.
    let order: Int64?
    let expiresAt: Date?
    /// The tier history's source: order, cancellation, admin…
    let source: String
    let before: TierEvaluator.Standing
    let after: TierEvaluator.Standing
    let figures: WindowFigures
    let window: (start: Date, asOf: Date)
    /// Why the tier changed, when it does (`TierReason`).
    let reason: String

    func makeBindings() throws -> PQBindings {
        var bindings = PQBindings(capacity: 20)
        bindings.append(member)
        bindings.append(program)
        bindings.append(revision)
        bindings.append(points)
        bindings.append(order)
        bindings.append(expiresAt)
        bindings.append(source)
        bindings.append(after != before)
        bindings.append(after.tier)
        bindings.append(after.since)
        bindings.append(after.demotionTo)
        bindings.append(after.demotionDueAt)
        bindings.append(before.tier)
        bindings.append(figures.orders)
        bindings.append(figures.totalSpentMinor)
        bindings.append(figures.lastOrderAt)
        bindings.append(figures.points)
        bindings.append(window.start)
        bindings.append(window.asOf)
        bindings.append(reason)
        return bindings
    }

    func decodeRow(_ row: PQRow) throws -> Int64 { try row.decode(Int64.self) }

    /// Runs the statement; the programme's tiers revision it found (the standing was written if
    /// that is `revision`).
    func run(on tenant: TenantConnection) async throws -> Int64 {
        var found = revision
        for try await current in try await tenant.connection.execute(self, logger: tenant.logger) { found = current }
        return found
    }
}
