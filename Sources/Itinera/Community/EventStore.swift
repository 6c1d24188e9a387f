import Foundation
import PostgresNIO

/// The SQL of community events (tenant schema); registrations are in `RegistrationStore`.
enum EventStore {
    static let columns = """
        e.id, e.community_id, e.members_only, e.kind, e.title, e.description, e.starts_at, e.ends_at, e.location,
        e.online_url, e.capacity, e.waitlist_capacity, e.registration_opens_at, e.registration_closes_at,
        e.program_id, e.min_tier, e.state, e.registered_count, e.waitlisted_count, e.cancelled_reason,
        e.created_at, e.updated_at, e.voting_opens_at, e.voting_closes_at, e.hold_hours
        """

    static func event(from row: PQRow, at offset: Int = 0) throws -> CommunityEvent {
        func column<Value: PostgresDecodable>(_ index: Int, _ type: Value.Type) throws -> Value {
            try row[offset + index].decode(Value.self)
        }
        return CommunityEvent(
            id: try column(0, Int64.self), communityID: try column(1, Int64?.self),
            membersOnly: try column(2, Bool.self),
            kind: CommunityEvent.Kind(rawValue: try column(3, String.self)) ?? .meetup,
            title: try column(4, String.self), description: try column(5, String?.self),
            startsAt: try column(6, Date.self), endsAt: try column(7, Date.self), location: try column(8, String?.self),
            onlineURL: try column(9, String?.self), capacity: try column(10, Int?.self),
            waitlistCapacity: try column(11, Int?.self), registrationOpensAt: try column(12, Date?.self),
            registrationClosesAt: try column(13, Date?.self), programID: try column(14, Int64?.self),
            minTier: try column(15, String?.self),
            state: CommunityEvent.State(rawValue: try column(16, String.self)) ?? .draft,
            registeredCount: try column(17, Int.self), waitlistedCount: try column(18, Int.self),
            cancelledReason: try column(19, String?.self), createdAt: try column(20, Date.self),
            updatedAt: try column(21, Date.self), votingOpensAt: try column(22, Date?.self),
            votingClosesAt: try column(23, Date?.self), holdHours: try column(24, Int?.self))
    }

    /// What an insert or update found wrong with what it refers to.
    enum Reference: Error, Equatable {
        case noCommunity
        case noTier
    }

    /// Inserts the event when its community and minimum tier exist.
    static func insert(_ e: CommunityEvent, on tenant: TenantConnection) async throws -> Result<
        CommunityEvent, Reference
    > {
        let rows = try await tenant.query(
            """
            WITH ok AS (
                SELECT \(e.communityID)::bigint IS NULL
                           OR EXISTS (SELECT 1 FROM communities c WHERE c.id = \(e.communityID)) AS community,
                       \(e.minTier)::text IS NULL
                           OR EXISTS (SELECT 1 FROM tiers t WHERE t.program_id = \(e.programID)
                                                            AND t.code = \(e.minTier)) AS tier
            ), made AS (
                INSERT INTO community_events AS e (
                    community_id, members_only, kind, title, description, starts_at, ends_at, location, online_url,
                    capacity, waitlist_capacity, registration_opens_at, registration_closes_at, program_id, min_tier,
                    state, voting_opens_at, voting_closes_at, hold_hours)
                SELECT \(e.communityID), \(e.membersOnly), \(e.kind.rawValue), \(e.title), \(e.description),
                       \(e.startsAt), \(e.endsAt), \(e.location), \(e.onlineURL), \(e.capacity),
                       \(e.waitlistCapacity), \(e.registrationOpensAt), \(e.registrationClosesAt), \(e.programID),
                       \(e.minTier), \(e.state.rawValue), \(e.votingOpensAt), \(e.votingClosesAt),
                       \(e.holdHours)
                FROM ok WHERE ok.community AND ok.tier
                RETURNING \(unescaped: columns)
            )
            SELECT ok.community, ok.tier, made.* FROM ok LEFT JOIN made ON true
            """)
        guard let row = rows.first else {
            throw Problem.internalError(requestID: RequestScope.current?.requestID ?? "unknown")
        }
        let (community, tier) = try row.decode((Bool, Bool).self)
        guard community else { return .failure(.noCommunity) }
        guard tier else { return .failure(.noTier) }
        return .success(try event(from: row, at: 2))
    }

    static func find(_ id: Int64, lock: Bool = false, on tenant: TenantConnection) async throws -> CommunityEvent? {
        try await tenant.query(
            """
            SELECT \(unescaped: columns) FROM community_events e WHERE e.id = \(id)
            \(unescaped: lock ? "FOR UPDATE" : "")
            """
        ).first.map { try event(from: $0) }
    }

    /// Events latest first, of one community or in one state when asked.
    static func list(
        community: Int64?, state: String?, after: (micros: Int64, id: Int64)?, limit: Int,
        on tenant: TenantConnection
    ) async throws -> [CommunityEvent] {
        try await tenant.query(
            """
            SELECT \(unescaped: columns) FROM community_events e
            WHERE (\(community)::bigint IS NULL OR e.community_id = \(community))
              AND (\(state)::text IS NULL OR e.state = \(state))
              AND (\(after?.micros)::bigint IS NULL
                   OR (e.starts_at, e.id)
                      < (timestamptz 'epoch' + \(after?.micros) * interval '1 microsecond', \(after?.id)::bigint))
            ORDER BY e.starts_at DESC, e.id DESC LIMIT \(limit)
            """
        ).collect().map { try event(from: $0) }
    }

    /// Writes the event's changed settings (its row is locked by the caller); nil when the tier is not
    /// the programme's. A capacity below the seats taken is refused by the table's check.
    static func update(_ e: CommunityEvent, on tenant: TenantConnection) async throws -> CommunityEvent? {
        try await tenant.query(
            """
            UPDATE community_events e SET
                members_only = \(e.membersOnly), kind = \(e.kind.rawValue), title = \(e.title),
                description = \(e.description), starts_at = \(e.startsAt), ends_at = \(e.endsAt),
                location = \(e.location), online_url = \(e.onlineURL), capacity = \(e.capacity),
                waitlist_capacity = \(e.waitlistCapacity), registration_opens_at = \(e.registrationOpensAt),
                registration_closes_at = \(e.registrationClosesAt), program_id = \(e.programID),
                min_tier = \(e.minTier), state = \(e.state.rawValue), cancelled_reason = \(e.cancelledReason),
                voting_opens_at = \(e.votingOpensAt), voting_closes_at = \(e.votingClosesAt), hold_hours = \(e.holdHours),
                updated_at = now()
            WHERE e.id = \(e.id)
              AND (\(e.minTier)::text IS NULL
                   OR EXISTS (SELECT 1 FROM tiers t WHERE t.program_id = \(e.programID) AND t.code = \(e.minTier)))
            RETURNING \(unescaped: columns)
            """
        ).first.map { try event(from: $0) }
    }

    /// The event's figures from its registrations.
    static func report(_ id: Int64, on tenant: TenantConnection) async throws -> EventReport {
        let row = try await tenant.query(
            """
            SELECT count(*) FILTER (WHERE r.state IN ('registered', 'offered'))::int,
                   count(*) FILTER (WHERE r.state = 'waitlisted')::int,
                   count(*) FILTER (WHERE r.state = 'cancelled')::int,
                   count(*) FILTER (WHERE r.state = 'registered' AND r.checked_in_at IS NOT NULL)::int,
                   count(*) FILTER (WHERE r.state = 'registered' AND r.checked_in_at IS NULL)::int,
                   bool_or(e.ends_at <= now())
            FROM community_events e LEFT JOIN event_registrations r ON r.event_id = e.id
            WHERE e.id = \(id)
            """
        ).first
        guard let row else { return EventReport(registered: 0, waitlisted: 0, cancelled: 0, attended: 0, noShows: 0) }
        let (registered, waitlisted, cancelled, attended, absent, ended) = try row.decode(
            (Int, Int, Int, Int, Int, Bool?).self)
        let over = ended == true
        return EventReport(
            registered: registered, waitlisted: waitlisted, cancelled: cancelled, attended: attended,
            noShows: over ? absent : 0,
            attendanceRate: over && registered > 0 ? Double(attended) / Double(registered) : nil)
    }
}
