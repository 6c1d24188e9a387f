import Foundation
import PostgresNIO

/// A customer's membership of a programme.
struct Member: Sendable, Equatable {
    var id: Int64
    var programID: Int64
    var customerID: Int64
    var cardNumber: String
    var standing: TierEvaluator.Standing
    var pointsBalance: Int64
    var enrolledAt: Date
}

/// One entry of a member's tier history.
struct TierChange: Sendable, Equatable {
    var id: Int64
    var from: String?
    var to: String?
    var source: String
    var orderID: Int64?
    /// The figures that decided it, a JSON object.
    var figures: String
    var changedAt: Date
    /// Why, in words (`TierReason`).
    var reason: String
}

/// The SQL of memberships (tenant schema).
enum MemberStore {
    static let columns = """
        id, program_id, customer_id, card_number, tier_code, tier_since, demotion_to, demotion_due_at, points_balance,
        enrolled_at
        """

    static func member(from row: PQRow) throws -> Member {
        let c = try row.decode((Int64, Int64, Int64, String, String?, Date?, String?, Date?, Int64, Date).self)
        return Member(
            id: c.0, programID: c.1, customerID: c.2, cardNumber: c.3,
            standing: .init(tier: c.4, since: c.5, demotionTo: c.6, demotionDueAt: c.7), pointsBalance: c.8,
            enrolledAt: c.9)
    }

    static func find(_ id: Int64, on tenant: TenantConnection) async throws -> Member? {
        for try await row in try await tenant.query("SELECT \(unescaped: columns) FROM members WHERE id = \(id)") {
            return try member(from: row)
        }
        return nil
    }

    static func find(program: Int64, customer: Int64, on tenant: TenantConnection) async throws -> Member? {
        for try await row in try await tenant.query(
            "SELECT \(unescaped: columns) FROM members WHERE program_id = \(program) AND customer_id = \(customer)"
        ) { return try member(from: row) }
        return nil
    }

    /// Enrols `customer` in `program` with the next card number; the existing membership when there
    /// is one (`created` false).
    /// `knownAbsent` skips the lookup when the caller has just found no membership.
    static func enrol(customer: Int64, in program: Program, knownAbsent: Bool = false, on tenant: TenantConnection)
        async throws -> (member: Member, created: Bool)
    {
        if !knownAbsent, let existing = try await find(program: program.id, customer: customer, on: tenant) {
            return (existing, false)
        }
        var sequence: Int64 = 0
        for try await next in try await tenant.query(
            """
            UPDATE program_card_sequences SET last_number = last_number + 1 WHERE program_id = \(program.id)
            RETURNING last_number
            """
        ).decode(Int64.self) { sequence = next }
        let card = CardNumber.make(prefix: program.cardPrefix, sequence: sequence)
        let rows = try await tenant.query(
            """
            INSERT INTO members (program_id, customer_id, card_number) VALUES (\(program.id), \(customer), \(card))
            ON CONFLICT (program_id, customer_id) DO NOTHING
            RETURNING \(unescaped: columns)
            """
        )
        for try await row in rows { return (try member(from: row), true) }
        // Enrolled by a concurrent request between the lookup and the insert.
        guard let existing = try await find(program: program.id, customer: customer, on: tenant) else {
            throw Problem.internalError(requestID: RequestScope.current?.requestID ?? "unknown")
        }
        return (existing, false)
    }

    /// Moves the memberships of customer `merged` to `survivor`, their points and history with them;
    /// a 409 when both are members of one programme, as two memberships are not combined.
    static func moveMemberships(from merged: Int64, to survivor: Int64, on tenant: TenantConnection) async throws {
        for try await program in try await tenant.query(
            """
            SELECT p.name FROM members a JOIN members b USING (program_id) JOIN programs p ON p.id = a.program_id
            WHERE a.customer_id = \(survivor) AND b.customer_id = \(merged) ORDER BY p.id LIMIT 1
            """
        ).decode(String.self) {
            throw Problem.conflict(
                "Customers \(survivor) and \(merged) are both members of the programme '\(program)'; their memberships cannot be merged, so the customers are not merged either."
            )
        }
        try await tenant.execute("UPDATE members SET customer_id = \(survivor) WHERE customer_id = \(merged)")
    }

    /// The members of `customer` across programmes, each programme with it.
    static func memberships(of customer: Int64, on tenant: TenantConnection) async throws -> [Member] {
        var members: [Member] = []
        for try await row in try await tenant.query(
            "SELECT \(unescaped: columns) FROM members WHERE customer_id = \(customer) ORDER BY program_id"
        ) { members.append(try member(from: row)) }
        return members
    }

    /// A member's tier changes, newest first, `limit` of them before entry `before` (when set).
    static func tierHistory(of member: Int64, before: Int64?, limit: Int, on tenant: TenantConnection) async throws
        -> [TierChange]
    {
        var changes: [TierChange] = []
        for try await c in try await tenant.query(
            """
            SELECT id, from_tier, to_tier, source, order_id, figures::text, changed_at, reason FROM tier_history
            WHERE member_id = \(member) AND (\(before)::bigint IS NULL OR id < \(before))
            ORDER BY id DESC LIMIT \(limit)
            """
        ).decode((Int64, String?, String?, String, Int64?, String, Date, String).self) {
            changes.append(
                TierChange(
                    id: c.0, from: c.1, to: c.2, source: c.3, orderID: c.4, figures: c.5, changedAt: c.6,
                    reason: c.7))
        }
        return changes
    }
}
