import Foundation
import PostgresNIO

// What an order does to loyalty, in two prepared statements (decision 0002): the programmes with the
// customer's memberships (locked) and each programme's tiers, then per membership the earn with the
// member's window figures beside it.

/// The programmes in the order's currency, each with the customer's membership when there is one
/// and its tiers, best first. The customer's memberships are locked first (in the CTE, whose rows
/// are the newest versions), so that a redemption, an adjustment or a re-evaluation slice that
/// changed the member meanwhile is seen by this and the next statement. (Two orders of one customer
/// are already one after the other: the order's insert locks the customer's row.)
struct OrderLoyaltyPrograms: PostgresPreparedStatement {
    static let sql = """
        WITH locked AS (
            SELECT id, program_id, card_number, tier_code, tier_since, demotion_to, demotion_due_at, points_balance,
                   enrolled_at
            FROM members WHERE customer_id = $1
            FOR NO KEY UPDATE
        )
        SELECT \(ProgramStore.columns.split(separator: ",").map { "p." + $0.trimmed }.joined(separator: ", ")),
               m.id, m.card_number, m.tier_code, m.tier_since, m.demotion_to, m.demotion_due_at, m.points_balance,
               m.enrolled_at,
               (SELECT coalesce(json_agg(\(ProgramStore.tierJSON) ORDER BY t.rank DESC), '[]')::text
                FROM tiers t WHERE t.program_id = p.id)
        FROM programs p LEFT JOIN locked m ON m.program_id = p.id
        WHERE p.currency = $2
        ORDER BY p.id
        """
    typealias Row = (Program, Member?, [Tier])

    let customer: Int64
    let currency: String

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 2)
        bindings.append(customer)
        bindings.append(currency)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        let program = try ProgramStore.program(from: row)
        let c = row.makeRandomAccess()
        let first = c.count - 9
        var member: Member?
        if let id = try c[first].decode(Int64?.self) {
            member = Member(
                id: id, programID: program.id, customerID: customer, cardNumber: try c[first + 1].decode(String.self),
                standing: .init(
                    tier: try c[first + 2].decode(String?.self), since: try c[first + 3].decode(Date?.self),
                    demotionTo: try c[first + 4].decode(String?.self),
                    demotionDueAt: try c[first + 5].decode(Date?.self)),
                pointsBalance: try c[first + 6].decode(Int64.self), enrolledAt: try c[first + 7].decode(Date.self))
        }
        let tiers = try ProgramStore.tiers(json: try c[first + 8].decode(String.self))
        return (program, member, tiers)
    }
}

/// Credits an order's points to a member (when there are any: the balance, the ledger entry and the
/// lot) and answers, in the same round trip, the member's standing, the window's figures and the
/// programme's tiers revision. The member's row is already locked (`OrderLoyaltyPrograms` or the
/// enrolment), so the figures include every order of theirs that committed.
struct OrderEarnStanding: PostgresPreparedStatement {
    static let sql = """
        WITH balance AS (
            UPDATE members SET points_balance = points_balance + $2 WHERE id = $1 AND $2 > 0
            RETURNING points_balance
        ), entry AS (
            INSERT INTO points_ledger (member_id, kind, points, balance_after, order_id, actor_type)
            SELECT $1, 'earn', $2, b.points_balance, $3, 'system' FROM balance b
            RETURNING id, created_at
        ), lot AS (
            INSERT INTO point_lots (entry_id, member_id, points, remaining, earned_at, expires_at)
            SELECT e.id, $1, $2, $2, e.created_at, $4 FROM entry e
        )
        SELECT m.tier_code, m.tier_since, m.demotion_to, m.demotion_due_at,
               coalesce((SELECT points_balance FROM balance), m.points_balance), f.orders, f.total, f.last,
               p.tiers_revision
        FROM members m
        JOIN programs p ON p.id = m.program_id, \(Loyalty.windowFigures(start: "$5::timestamptz", asOf: "$6::timestamptz"))
        WHERE m.id = $1
        """
    typealias Row = (TierEvaluator.Standing, WindowFigures, Int64)

    let member: Int64
    let points: Int64
    let order: Int64
    let expiresAt: Date?
    let windowStart: Date
    let asOf: Date

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 6)
        bindings.append(member)
        bindings.append(points)
        bindings.append(order)
        bindings.append(expiresAt)
        bindings.append(windowStart)
        bindings.append(asOf)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        let c = try row.decode((String?, Date?, String?, Date?, Int64, Int, Int64, Date?, Int64).self)
        return (
            .init(tier: c.0, since: c.1, demotionTo: c.2, demotionDueAt: c.3),
            WindowFigures(orders: c.5, totalSpentMinor: c.6, lastOrderAt: c.7, points: c.4), c.8
        )
    }
}
