import Foundation
import PostgresNIO

/// The SQL of communities and their members (tenant schema).
enum CommunityStore {
    static let columns =
        "c.id, c.name, c.description, c.visibility, c.program_id, c.min_tier, c.member_count, c.created_at, c.updated_at"

    static func community(from row: PQRow, at offset: Int = 0) throws -> Community {
        func column<Value: PostgresDecodable>(_ index: Int, _ type: Value.Type) throws -> Value {
            try row[offset + index].decode(Value.self)
        }
        return Community(
            id: try column(0, Int64.self), name: try column(1, String.self), description: try column(2, String?.self),
            visibility: Community.Visibility(rawValue: try column(3, String.self)) ?? .invitation,
            programID: try column(4, Int64?.self), minTier: try column(5, String?.self),
            memberCount: try column(6, Int.self), createdAt: try column(7, Date.self),
            updatedAt: try column(8, Date.self))
    }

    /// Inserts the community when its minimum tier (if any) is a tier of its programme; nil when not.
    static func insert(_ draft: Community, on tenant: TenantConnection) async throws -> Community? {
        try await tenant.query(
            """
            INSERT INTO communities AS c (name, description, visibility, program_id, min_tier)
            SELECT \(draft.name), \(draft.description), \(draft.visibility.rawValue), \(draft.programID),
                   \(draft.minTier)
            WHERE \(draft.minTier)::text IS NULL
               OR EXISTS (SELECT 1 FROM tiers t WHERE t.program_id = \(draft.programID) AND t.code = \(draft.minTier))
            RETURNING \(unescaped: columns)
            """
        ).first.map { try community(from: $0) }
    }

    /// Replaces the community's settings, under its row lock; nil when the tier is not the programme's.
    static func update(_ changed: Community, on tenant: TenantConnection) async throws -> Community? {
        try await tenant.query(
            """
            UPDATE communities c SET name = \(changed.name), description = \(changed.description),
                visibility = \(changed.visibility.rawValue), program_id = \(changed.programID),
                min_tier = \(changed.minTier), updated_at = now()
            WHERE c.id = \(changed.id)
              AND (\(changed.minTier)::text IS NULL
                   OR EXISTS (SELECT 1 FROM tiers t WHERE t.program_id = \(changed.programID)
                                                    AND t.code = \(changed.minTier)))
            RETURNING \(unescaped: columns)
            """
        ).first.map { try community(from: $0) }
    }

    static func find(_ id: Int64, lock: Bool = false, on tenant: TenantConnection) async throws -> Community? {
        try await tenant.query(
            """
            SELECT \(unescaped: columns) FROM communities c WHERE c.id = \(id) \(unescaped: lock ? "FOR UPDATE" : "")
            """
        ).first.map { try community(from: $0) }
    }

    static func list(after: Int64?, limit: Int, on tenant: TenantConnection) async throws -> [Community] {
        try await tenant.query(
            """
            SELECT \(unescaped: columns) FROM communities c
            WHERE \(after)::bigint IS NULL OR c.id > \(after) ORDER BY c.id LIMIT \(limit)
            """
        ).collect().map { try community(from: $0) }
    }

    static func count(on tenant: TenantConnection) async throws -> Int {
        try await tenant.query("SELECT count(*)::int FROM communities").first?.decode(Int.self) ?? 0
    }

    /// What joining found: the member (new or already there), or why not.
    enum Joined: Sendable, Equatable {
        case joined(CommunityMember)
        case already(CommunityMember)
        case noCommunity
        case noCustomer
        case refused(Gate)
    }

    /// Adds the customer to the community in one statement that checks the community's gate (its
    /// visibility, unless an admin adds them, and its minimum tier against the customer's tier in
    /// its programme) and writes the member, the count and the history only when the gate admits.
    static func join(_ community: Int64, customer: Int64, byAdmin: Bool, on tenant: TenantConnection) async throws
        -> Joined
    {
        let source = byAdmin ? "admin" : "api"
        let rows = try await tenant.query(
            """
            WITH c AS (
                SELECT c.id, c.visibility, c.program_id, c.min_tier,
                       (SELECT t.rank FROM tiers t WHERE t.program_id = c.program_id AND t.code = c.min_tier) AS need
                FROM communities c WHERE c.id = \(community)
            ), k AS (
                SELECT k.id FROM customers k WHERE k.id = \(customer) AND k.erased_at IS NULL FOR SHARE
            ), m AS (
                SELECT m.tier_code, t.rank
                FROM c JOIN members m ON m.program_id = c.program_id AND m.customer_id = \(customer)
                     LEFT JOIN tiers t ON t.program_id = m.program_id AND t.code = m.tier_code
            ), gate AS (
                SELECT c.visibility = 'invitation' AND NOT \(byAdmin) AS invitation,
                       c.need IS NOT NULL AND coalesce((SELECT rank FROM m), 0) < c.need AS tier
                FROM c
            ), joined AS (
                INSERT INTO community_members (community_id, customer_id, source)
                SELECT c.id, k.id, \(source) FROM c, k, gate WHERE NOT gate.invitation AND NOT gate.tier
                ON CONFLICT (community_id, customer_id) DO NOTHING
                RETURNING joined_at
            ), counted AS (
                UPDATE communities SET member_count = member_count + 1, updated_at = now()
                WHERE id = \(community) AND EXISTS (SELECT 1 FROM joined)
            ), history AS (
                INSERT INTO community_history (community_id, customer_id, action, source)
                SELECT \(community), \(customer), 'joined', \(source) FROM joined
            )
            SELECT (SELECT count(*) FROM c)::int, (SELECT count(*) FROM k)::int, gate.invitation, gate.tier,
                   c.program_id, c.min_tier, (SELECT tier_code FROM m), (SELECT joined_at FROM joined),
                   (SELECT e.joined_at FROM community_members e WHERE e.community_id = \(community)
                                                                  AND e.customer_id = \(customer)),
                   (SELECT e.source FROM community_members e WHERE e.community_id = \(community)
                                                               AND e.customer_id = \(customer))
            FROM (SELECT 1) one LEFT JOIN c ON true LEFT JOIN gate ON true
            """)
        guard let row = rows.first else { return .noCommunity }
        let (communities, customers, invitation, belowTier, program, tier, has, joinedAt, existingAt, existingSource) =
            try row.decode((Int, Int, Bool?, Bool?, Int64?, String?, String?, Date?, Date?, String?).self)
        guard communities == 1 else { return .noCommunity }
        guard customers == 1 else { return .noCustomer }
        if invitation == true { return .refused(.invitationOnly(community: community)) }
        if belowTier == true, let program, let tier {
            return .refused(.belowTier(program: program, tier: tier, has: has))
        }
        if let joinedAt { return .joined(CommunityMember(customerID: customer, joinedAt: joinedAt, source: source)) }
        if let existingAt {
            return .already(
                CommunityMember(customerID: customer, joinedAt: existingAt, source: existingSource ?? source))
        }
        // A concurrent join of the same customer committed after this statement's snapshot: its row
        // is there for the next statement.
        guard let member = try await member(community, customer: customer, on: tenant) else { return .noCustomer }
        return .already(member)
    }

    static func member(_ community: Int64, customer: Int64, on tenant: TenantConnection) async throws
        -> CommunityMember?
    {
        try await tenant.query(
            """
            SELECT joined_at, source FROM community_members
            WHERE community_id = \(community) AND customer_id = \(customer)
            """
        ).first.map { row in
            let (joined, source) = try row.decode((Date, String).self)
            return CommunityMember(customerID: customer, joinedAt: joined, source: source)
        }
    }

    /// Removes the customer from the community; false when they were not a member.
    static func leave(_ community: Int64, customer: Int64, byAdmin: Bool, on tenant: TenantConnection) async throws
        -> Bool
    {
        try await tenant.query(
            """
            WITH left_ AS (
                DELETE FROM community_members WHERE community_id = \(community) AND customer_id = \(customer)
                RETURNING customer_id
            ), counted AS (
                UPDATE communities SET member_count = member_count - 1, updated_at = now()
                WHERE id = \(community) AND EXISTS (SELECT 1 FROM left_)
            )
            INSERT INTO community_history (community_id, customer_id, action, source)
            SELECT \(community), customer_id, 'left', \(byAdmin ? "admin" : "api") FROM left_
            RETURNING 1
            """
        ).count == 1
    }

    /// Members in the order they joined, `limit` after `after`.
    static func members(
        of community: Int64, after: (micros: Int64, id: Int64)?, limit: Int, on tenant: TenantConnection
    ) async throws -> [CommunityMember] {
        try await tenant.query(
            """
            SELECT customer_id, joined_at, source FROM community_members
            WHERE community_id = \(community)
              AND (\(after?.micros)::bigint IS NULL
                   OR (joined_at, customer_id)
                      > (timestamptz 'epoch' + \(after?.micros) * interval '1 microsecond', \(after?.id)::bigint))
            ORDER BY joined_at, customer_id LIMIT \(limit)
            """
        ).collect().map { row in
            let (customer, joined, source) = try row.decode((Int64, Date, String).self)
            return CommunityMember(customerID: customer, joinedAt: joined, source: source)
        }
    }

    /// The community's figures over `[from, to)`, set-based in one statement.
    static func report(_ community: Int64, from: Date, to: Date, on tenant: TenantConnection) async throws
        -> CommunityReport
    {
        let row = try await tenant.query(
            """
            WITH m AS (
                SELECT customer_id FROM community_members WHERE community_id = \(community)
            ), spend AS (
                SELECT o.customer_id, sum(o.amount_minor) AS total FROM orders o
                WHERE o.status IN ('confirmed', 'completed') AND o.ordered_at >= \(from) AND o.ordered_at < \(to)
                GROUP BY o.customer_id
            ), others AS (
                SELECT c.id FROM customers c
                WHERE c.erased_at IS NULL AND c.order_count > 0
                  AND NOT EXISTS (SELECT 1 FROM m WHERE m.customer_id = c.id)
            ), e AS (
                SELECT id FROM community_events
                WHERE community_id = \(community) AND starts_at >= \(from) AND starts_at < \(to)
            )
            SELECT (SELECT count(*) FROM m)::int,
                   (SELECT count(*) FROM community_history h WHERE h.community_id = \(community) AND h.action = 'joined'
                                                             AND h.at >= \(from) AND h.at < \(to))::int,
                   (SELECT count(*) FROM community_history h WHERE h.community_id = \(community) AND h.action = 'left'
                                                             AND h.at >= \(from) AND h.at < \(to))::int,
                   (SELECT count(*) FROM m
                    WHERE EXISTS (SELECT 1 FROM spend s WHERE s.customer_id = m.customer_id)
                       OR EXISTS (SELECT 1 FROM event_registrations r
                                  WHERE r.customer_id = m.customer_id AND r.created_at >= \(from)
                                    AND r.created_at < \(to)))::int,
                   (SELECT count(*) FROM e)::int,
                   (SELECT count(*) FROM event_registrations r JOIN e ON e.id = r.event_id
                    WHERE r.state = 'registered')::int,
                   (SELECT count(*) FROM event_registrations r JOIN e ON e.id = r.event_id
                    WHERE r.state = 'registered' AND r.checked_in_at IS NOT NULL)::int,
                   (SELECT coalesce(sum(s.total), 0) FROM m JOIN spend s ON s.customer_id = m.customer_id)::bigint,
                   (SELECT count(*) FROM others)::int,
                   (SELECT coalesce(sum(s.total), 0) FROM others o JOIN spend s ON s.customer_id = o.id)::bigint
            """
        ).first
        guard let row else { throw Problem.internalError(requestID: RequestScope.current?.requestID ?? "unknown") }
        let (members, joined, left, active, events, registered, attended, memberSpend, others, otherSpend) =
            try row.decode((Int, Int, Int, Int, Int, Int, Int, Int64, Int, Int64).self)
        return CommunityReport(
            from: from, to: to, members: members, joined: joined, left: left, activeMembers: active, events: events,
            registered: registered, attended: attended, memberSpendMinor: memberSpend, nonMembers: others,
            nonMemberSpendMinor: otherSpend)
    }

    /// A merge: the merged customer's memberships and history become the survivor's (a club both were
    /// in keeps the survivor's membership and counts one member less).
    static func merge(_ merged: Int64, into survivor: Int64, on tenant: TenantConnection) async throws {
        try await tenant.execute(
            """
            WITH both_ AS (
                DELETE FROM community_members o
                WHERE o.customer_id = \(merged)
                  AND EXISTS (SELECT 1 FROM community_members s
                              WHERE s.community_id = o.community_id AND s.customer_id = \(survivor))
                RETURNING o.community_id
            ), counted AS (
                UPDATE communities c SET member_count = member_count - 1
                FROM both_ WHERE c.id = both_.community_id
            ), moved AS (
                UPDATE community_members SET customer_id = \(survivor)
                WHERE customer_id = \(merged) AND community_id NOT IN (SELECT community_id FROM both_)
            )
            UPDATE community_history SET customer_id = \(survivor) WHERE customer_id = \(merged)
            """)
    }
}
