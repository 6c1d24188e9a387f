import Foundation
import PostgresNIO

/// One entry of the points ledger.
struct PointsEntry: Sendable, Equatable {
    enum Kind: String, Sendable, CaseIterable { case earn, redeem, adjust, expire, reverse }

    var id: Int64
    var kind: Kind
    var points: Int64
    var balanceAfter: Int64
    var orderID: Int64?
    var reason: String?
    var actorType: String
    var actorID: String?
    var createdAt: Date
}

/// The points ledger (tenant schema). Entries are only ever appended; the member's balance and the
/// lots (what is left of each credit, spent first-in first-out) change in the entry's statement, and
/// the member row it updates is the lock that serialises a member's entries.
enum PointsStore {
    static let columns = "id, kind, points, balance_after, order_id, reason, actor_type, actor_id, created_at"

    static func entry(from row: PQRow) throws -> PointsEntry {
        let c = try row.decode((Int64, String, Int64, Int64, Int64?, String?, String, String?, Date).self)
        return PointsEntry(
            id: c.0, kind: PointsEntry.Kind(rawValue: c.1) ?? .adjust, points: c.2, balanceAfter: c.3, orderID: c.4,
            reason: c.5, actorType: c.6, actorID: c.7, createdAt: c.8)
    }

    /// Adds `points` (> 0) as an earn or a positive adjustment, with a lot that expires at `expiresAt`;
    /// nil when there is no such member. An order earns once per member (a unique index refuses a
    /// second earn for it).
    static func credit(
        _ points: Int64, kind: PointsEntry.Kind, member: Int64, order: Int64? = nil, reason: String? = nil,
        actor: (type: String, id: String?), expiresAt: Date?, on tenant: TenantConnection
    ) async throws -> PointsEntry? {
        let rows = try await tenant.query(
            """
            WITH balance AS (
                UPDATE members SET points_balance = points_balance + \(points) WHERE id = \(member)
                RETURNING points_balance
            ), entry AS (
                INSERT INTO points_ledger (member_id, kind, points, balance_after, order_id, reason, actor_type, actor_id)
                SELECT \(member), \(kind.rawValue), \(points), b.points_balance, \(order), \(reason), \(actor.type),
                       \(actor.id)
                FROM balance b
                RETURNING \(unescaped: columns)
            ), lot AS (
                INSERT INTO point_lots (entry_id, member_id, points, remaining, earned_at, expires_at)
                SELECT e.id, \(member), \(points), \(points), e.created_at, \(expiresAt) FROM entry e
            )
            SELECT \(unescaped: columns) FROM entry
            """
        )
        for try await row in rows { return try entry(from: row) }
        return nil
    }

    /// Takes `points` (> 0) from the balance as a redemption, a negative adjustment, an expiry or a
    /// reversal, oldest lots first. Nil when the balance is smaller: the balance never goes below zero.
    static func debit(
        _ points: Int64, kind: PointsEntry.Kind, member: Int64, order: Int64? = nil, reason: String? = nil,
        actor: (type: String, id: String?), on tenant: TenantConnection
    ) async throws -> PointsEntry? {
        try await lock(member, on: tenant)
        let rows = try await tenant.query(
            """
            WITH balance AS (
                UPDATE members SET points_balance = points_balance - \(points)
                WHERE id = \(member) AND points_balance >= \(points)
                RETURNING points_balance
            ), entry AS (
                INSERT INTO points_ledger (member_id, kind, points, balance_after, order_id, reason, actor_type, actor_id)
                SELECT \(member), \(kind.rawValue), -\(points)::bigint, b.points_balance, \(order), \(reason),
                       \(actor.type), \(actor.id)
                FROM balance b
                RETURNING \(unescaped: columns)
            ), spent AS (
                UPDATE point_lots l SET remaining = l.remaining - least(l.remaining, \(points) - o.before)
                FROM (SELECT entry_id, sum(remaining) OVER (ORDER BY expires_at NULLS LAST, earned_at, entry_id)
                                       - remaining AS before
                      FROM point_lots WHERE member_id = \(member) AND remaining > 0) o
                WHERE l.entry_id = o.entry_id AND o.before < \(points) AND EXISTS (SELECT FROM balance)
            )
            SELECT \(unescaped: columns) FROM entry
            """
        )
        for try await row in rows { return try entry(from: row) }
        return nil
    }

    /// Reverses what an order earned a member and is still unspent; nil when nothing is left.
    static func reverse(order: Int64, member: Int64, on tenant: TenantConnection) async throws -> PointsEntry? {
        try await lock(member, on: tenant)
        var unspent: Int64 = 0
        for try await left in try await tenant.query(
            """
            SELECT coalesce(sum(l.remaining), 0)::bigint FROM point_lots l JOIN points_ledger e ON e.id = l.entry_id
            WHERE e.order_id = \(order) AND e.member_id = \(member) AND e.kind = 'earn'
            """
        ).decode(Int64.self) { unspent = left }
        guard unspent > 0 else { return nil }
        let rows = try await tenant.query(
            """
            WITH balance AS (
                UPDATE members SET points_balance = points_balance - \(unspent)
                WHERE id = \(member) AND points_balance >= \(unspent)
                RETURNING points_balance
            ), entry AS (
                INSERT INTO points_ledger (member_id, kind, points, balance_after, order_id, actor_type)
                SELECT \(member), 'reverse', -\(unspent)::bigint, b.points_balance, \(order), 'system' FROM balance b
                RETURNING \(unescaped: columns)
            ), spent AS (
                UPDATE point_lots l SET remaining = 0 FROM points_ledger e
                WHERE e.id = l.entry_id AND e.order_id = \(order) AND e.member_id = \(member) AND e.kind = 'earn'
                  AND EXISTS (SELECT FROM balance)
            )
            SELECT \(unescaped: columns) FROM entry
            """
        )
        for try await row in rows { return try entry(from: row) }
        return nil
    }

    /// Locks the member's row until the transaction ends. Statements that read the lots run after it,
    /// so that their snapshot holds every entry committed before the lock was granted (a statement's
    /// snapshot is taken when it starts, before it would wait for the lock).
    static func lock(_ member: Int64, on tenant: TenantConnection) async throws {
        try await tenant.execute("SELECT FROM members WHERE id = \(member) FOR NO KEY UPDATE")
    }

    /// The member's entries, newest first, after the cursor id.
    static func entries(of member: Int64, before: Int64?, limit: Int, on tenant: TenantConnection) async throws
        -> [PointsEntry]
    {
        var entries: [PointsEntry] = []
        for try await row in try await tenant.query(
            """
            SELECT \(unescaped: columns) FROM points_ledger
            WHERE member_id = \(member) AND (\(before)::bigint IS NULL OR id < \(before))
            ORDER BY id DESC LIMIT \(limit)
            """
        ) { entries.append(try entry(from: row)) }
        return entries
    }

    /// Points that expire next: the earliest expiry date and how many points lapse then.
    static func nextExpiry(of member: Int64, on tenant: TenantConnection) async throws -> (Date, Int64)? {
        for try await (at, points) in try await tenant.query(
            """
            SELECT expires_at, sum(remaining)::bigint FROM point_lots
            WHERE member_id = \(member) AND remaining > 0 AND expires_at IS NOT NULL
            GROUP BY expires_at ORDER BY expires_at LIMIT 1
            """
        ).decode((Date, Int64).self) { return (at, points) }
        return nil
    }

    /// Writes off what is left of lots that expired by `now`, for up to `members` members: each
    /// member's lots are emptied, their balance lowered, and one `expire` entry appended. The members'
    /// rows are locked first, in a statement of their own, so that the write-off sees every
    /// redemption that committed before it (the same order a redemption takes its locks in).
    /// Answers each member's write-off.
    static func expire(dueBy now: Date, members limit: Int, on tenant: TenantConnection) async throws
        -> [PointsMoved.Move]
    {
        var due: [Int64] = []
        for try await id in try await tenant.query(
            """
            SELECT m.id FROM members m
            WHERE m.id IN (SELECT DISTINCT l.member_id FROM point_lots l
                           WHERE l.remaining > 0 AND l.expires_at <= \(now) LIMIT \(limit))
            ORDER BY m.id
            FOR NO KEY UPDATE OF m
            """
        ).decode(Int64.self) { due.append(id) }
        guard !due.isEmpty else { return [] }
        let rows = try await tenant.query(
            """
            WITH due AS (
                SELECT l.entry_id, l.member_id, l.remaining FROM point_lots l
                WHERE l.member_id = ANY(\(due)) AND l.remaining > 0 AND l.expires_at <= \(now)
            ), emptied AS (
                UPDATE point_lots l SET remaining = 0 FROM due WHERE l.entry_id = due.entry_id
                RETURNING due.member_id, due.remaining
            ), per_member AS (
                SELECT member_id, sum(remaining)::bigint AS points FROM emptied GROUP BY member_id
            ), balance AS (
                UPDATE members m SET points_balance = m.points_balance - p.points
                FROM per_member p WHERE m.id = p.member_id
                RETURNING m.id, m.customer_id, m.program_id, m.points_balance, p.points
            ), entries AS (
                INSERT INTO points_ledger (member_id, kind, points, balance_after, actor_type)
                SELECT b.id, 'expire', -b.points, b.points_balance, 'system' FROM balance b
            )
            SELECT id, customer_id, program_id, -points, points_balance FROM balance ORDER BY id
            """
        )
        return try rows.collect().map { row in
            let (member, customer, program, points, balance) = try row.decode((Int64, Int64, Int64, Int64, Int64).self)
            return PointsMoved.Move(
                member: member, customer: customer, program: program, points: points, balanceAfter: balance)
        }
    }
}
