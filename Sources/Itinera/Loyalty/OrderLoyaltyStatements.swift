import Foundation
import PostgresNIO

// What an order does to loyalty, in prepared statements (decision 0002): the programmes with the
// customer's memberships (locked), each programme's tiers and the customer's window figures, read by
// the order's insert itself when its claim locked the customer (`OrderInsert`, decision 0009) or by
// `OrderLoyaltyPrograms` after it; then, once the member is decided in Swift, per membership the earn
// and the new standing with its history (`EarnAndStanding`, which every other evaluation writes with
// too).

/// The programmes in the order's currency, each with the customer's membership when there is one,
/// its tiers (best first) and the figures of the customer's orders in the programme's tier window up
/// to `asOf` (the order just inserted included). The customer's memberships are locked first (in the
/// CTE, whose rows are the newest versions), so that a redemption, an adjustment or a re-evaluation
/// slice that changed the member meanwhile is seen. The figures and the tiers are read as of the
/// statement's start: no order of the customer can have changed since, because the order's insert
/// locked the customer's row, as every change to a customer's orders does; tiers replaced
/// meanwhile are caught by `EarnAndStanding`'s revision check.
struct OrderLoyaltyPrograms: PostgresPreparedStatement {
    static let sql = """
        WITH \(lockedSQL(customer: "$1"))
        \(programsSQL(
            customer: "$1", currency: "$2", asOf: "$3::timestamptz", calendarYearStart: "$4::timestamptz", inserted: nil))
        """

    /// The CTE `locked`: the customer's memberships, locked.
    static func lockedSQL(customer: String) -> String {
        """
        locked AS (
            SELECT id, program_id, card_number, tier_code, tier_since, demotion_to, demotion_due_at, points_balance,
                   enrolled_at
            FROM members WHERE customer_id = \(customer)
            FOR NO KEY UPDATE
        )
        """
    }

    /// The programmes in `currency` with the customer's membership (from `locked`), the tiers, and
    /// the window's start and figures up to `asOf`. `inserted` names an order row the statement
    /// inserts (which its own snapshot does not see): it is added to the figures when it counts.
    /// `when` is a condition on parameters only: false, nothing is read and no membership locked.
    static func programsSQL(
        customer: String, currency: String, asOf: String, calendarYearStart: String, inserted o: String?,
        when condition: String = "true"
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
            SELECT \(ProgramStore.columns.split(separator: ",").map { "p." + $0.trimmed }.joined(separator: ", ")),
                   m.id AS member_id, m.card_number, m.tier_code, m.tier_since, m.demotion_to, m.demotion_due_at,
                   m.points_balance, m.enrolled_at,
                   (SELECT coalesce(json_agg(\(ProgramStore.tierJSON) ORDER BY t.rank DESC), '[]')::text
                    FROM tiers t WHERE t.program_id = p.id) AS tiers,
                   w.start, \(figures)
            FROM programs p LEFT JOIN locked m ON m.program_id = p.id,
                 LATERAL (SELECT CASE p.tier_window
                                     WHEN 'rolling_days' THEN \(asOf) - make_interval(secs => p.tier_window_days * 86400.0::float8)
                                     ELSE \(calendarYearStart) END AS start) w,
                 \(counts)
                 \(Loyalty.windowFigures(customer: customer, start: "w.start", asOf: asOf))
            WHERE p.currency = \(currency) AND \(condition)
            ORDER BY p.id
            """
    }

    /// A programme, the customer's membership, the tiers, and the window's start and figures (whose
    /// `points` is the membership's balance before the order, 0 without one).
    typealias Row = (program: Program, member: Member?, tiers: [Tier], windowStart: Date, figures: WindowFigures)

    let customer: Int64
    let currency: String
    /// The moment of evaluation.
    let asOf: Date
    /// Where the calendar year of `asOf` starts in the tenant's time zone (a rolling window's start
    /// is `asOf` less its days, as `TierWindow.start` has it).
    let calendarYearStart: Date

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 4)
        bindings.append(customer)
        bindings.append(currency)
        bindings.append(asOf)
        bindings.append(calendarYearStart)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        guard let decoded = try Self.decode(row, from: 0, customer: customer) else {
            throw PostgresDecodingError.Code.missingData
        }
        return decoded
    }

    /// The columns `programsSQL` selects, from column `first` of `row`; `nil` when they are null (a
    /// statement that found no programme).
    static func decode(_ row: PostgresRow, from first: Int, customer: Int64) throws -> Row? {
        let c = row.makeRandomAccess()
        guard try c[first].decode(Int64?.self) != nil else { return nil }
        let program = try ProgramStore.program(from: row, at: first)
        let next = first + ProgramStore.columnCount
        var member: Member?
        if let id = try c[next].decode(Int64?.self) {
            member = Member(
                id: id, programID: program.id, customerID: customer, cardNumber: try c[next + 1].decode(String.self),
                standing: .init(
                    tier: try c[next + 2].decode(String?.self), since: try c[next + 3].decode(Date?.self),
                    demotionTo: try c[next + 4].decode(String?.self),
                    demotionDueAt: try c[next + 5].decode(Date?.self)),
                pointsBalance: try c[next + 6].decode(Int64.self), enrolledAt: try c[next + 7].decode(Date.self))
        }
        let tiers = try ProgramStore.tiers(json: try c[next + 8].decode(String.self))
        let figures = WindowFigures(
            orders: try c[next + 10].decode(Int.self), totalSpentMinor: try c[next + 11].decode(Int64.self),
            lastOrderAt: try c[next + 12].decode(Date?.self), points: member?.pointsBalance ?? 0)
        return (program, member, tiers, try c[next + 9].decode(Date.self), figures)
    }
}

/// Writes what an evaluation decided for a member whose row the transaction has locked: credits
/// `points` (when there are any: the balance, the ledger entry for `order` and the lot), and, when
/// the standing changed, the new standing and (when the tier changed) its history entry with the
/// figures that decided it. The standing is written only if the programme's tiers are still at
/// `revision`, the one the decision was made under, read afresh by this statement: the answer is
/// the revision found, and a caller who finds another decides again under the tiers now current (a
/// re-evaluation job leaves alone a member whose row changed after it looked).
struct EarnAndStanding: PostgresPreparedStatement {
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
            INSERT INTO tier_history (member_id, from_tier, to_tier, source, figures, order_id, changed_at)
            SELECT $1, $13, $9, $7,
                   \(TierReevaluation.figuresSQL(alias: "f", windowStart: "$18", asOf: "$19")), $5, $19
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

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 19)
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
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Int64 { try row.decode(Int64.self) }

    /// Runs the statement; the programme's tiers revision it found (the standing was written if
    /// that is `revision`).
    func run(on tenant: TenantConnection) async throws -> Int64 {
        var found = revision
        for try await current in try await tenant.connection.execute(self, logger: tenant.logger) { found = current }
        return found
    }
}
