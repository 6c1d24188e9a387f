import Foundation
import PostgresNIO

/// The SQL of event registrations (tenant schema): registering in one statement that decides the
/// seat under the event's row lock, cancelling with the promotion of the first on the waiting list
/// in the same transaction, and check-in with the device's nonce.
enum RegistrationStore {
    static let columns = """
        r.id, r.event_id, r.customer_id, r.state, r.source, r.promoted_at, r.checked_in_at, r.created_at,
        r.cancelled_at, r.hold_until
        """

    static func registration(from row: PQRow, at offset: Int = 0, position: Int? = nil) throws -> EventRegistration {
        func column<Value: PostgresDecodable>(_ index: Int, _ type: Value.Type) throws -> Value {
            try row[offset + index].decode(Value.self)
        }
        let state = EventRegistration.State(rawValue: try column(3, String.self)) ?? .cancelled
        return EventRegistration(
            id: try column(0, Int64.self), eventID: try column(1, Int64.self), customerID: try column(2, Int64.self),
            state: state, source: try column(4, String.self), waitlistPosition: state == .waitlisted ? position : nil,
            promotedAt: try column(5, Date?.self), checkedInAt: try column(6, Date?.self),
            createdAt: try column(7, Date.self), cancelledAt: try column(8, Date?.self),
            holdUntil: try column(9, Date?.self))
    }

    /// The event's columns as the registering `UPDATE` returned them.
    private static let seatColumns = EventStore.columns.replacingOccurrences(of: "e.", with: "seat.")

    /// Why a registration was not made.
    enum Refusal: Error, Equatable {
        case noEvent
        case noCustomer
        /// The event is not open (its state).
        case notOpen(String)
        case notYetOpen(Date)
        case closed(Date)
        case gated(Gate)
        /// No seat and no place on the waiting list.
        case full
        /// The customer's live registration.
        case already(Int64)
    }

    /// Registers the customer in one statement: the gates (the event open and within its window,
    /// community membership, minimum tier) are read, and one `UPDATE` of the event's row decides,
    /// under that row's lock, whether the customer gets a seat (`registered`), a place on the waiting
    /// list (`waitlisted`, in arrival order) or neither, counts it, and the registration is inserted
    /// from what it returned. Concurrent registrations for one event queue on its row, so the last
    /// seat goes once. Answers the registration and the event as the update left it.
    static func register(_ event: Int64, customer: Int64, source: String, on tenant: TenantConnection) async throws
        -> Result<(EventRegistration, CommunityEvent), Refusal>
    {
        let rows = try await tenant.query(
            """
            WITH e0 AS (
                SELECT e.*, (SELECT t.rank FROM tiers t WHERE t.program_id = e.program_id AND t.code = e.min_tier)
                                AS need
                FROM community_events e WHERE e.id = \(event)
            ), k AS (
                SELECT k.id FROM customers k WHERE k.id = \(customer) AND k.erased_at IS NULL FOR SHARE
            ), m AS (
                SELECT m.tier_code, t.rank
                FROM e0 JOIN members m ON m.program_id = e0.program_id AND m.customer_id = \(customer)
                     LEFT JOIN tiers t ON t.program_id = m.program_id AND t.code = m.tier_code
            ), gate AS (
                SELECT e0.state <> 'open' AS not_open,
                       e0.registration_opens_at IS NOT NULL AND now() < e0.registration_opens_at AS not_yet,
                       now() >= coalesce(e0.registration_closes_at, e0.ends_at) AS closed,
                       e0.members_only
                           AND NOT EXISTS (SELECT 1 FROM community_members c
                                           WHERE c.community_id = e0.community_id AND c.customer_id = \(customer))
                           AS not_member,
                       e0.need IS NOT NULL AND coalesce((SELECT rank FROM m), 0) < e0.need AS below_tier,
                       (SELECT r.id FROM event_registrations r
                        WHERE r.event_id = e0.id AND r.customer_id = \(customer) AND r.state <> 'cancelled') AS live
                FROM e0
            ), seat AS (
                UPDATE community_events e SET
                    last_got_seat = e.capacity IS NULL OR e.registered_count < e.capacity,
                    registered_count = e.registered_count
                        + CASE WHEN e.capacity IS NULL OR e.registered_count < e.capacity THEN 1 ELSE 0 END,
                    waitlisted_count = e.waitlisted_count
                        + CASE WHEN e.capacity IS NULL OR e.registered_count < e.capacity THEN 0 ELSE 1 END,
                    updated_at = now()
                FROM gate, k
                WHERE e.id = \(event) AND e.state = 'open'
                  AND NOT (gate.not_open OR gate.not_yet OR gate.closed OR gate.not_member OR gate.below_tier)
                  AND gate.live IS NULL
                  AND (e.capacity IS NULL OR e.registered_count < e.capacity
                       OR e.waitlist_capacity IS NULL OR e.waitlisted_count < e.waitlist_capacity)
                RETURNING e.last_got_seat, \(unescaped: EventStore.columns)
            ), made AS (
                INSERT INTO event_registrations AS r (event_id, customer_id, state, source)
                SELECT \(event), \(customer), CASE WHEN seat.last_got_seat THEN 'registered' ELSE 'waitlisted' END,
                       \(source)
                FROM seat
                RETURNING \(unescaped: columns)
            )
            SELECT (SELECT count(*) FROM e0)::int, (SELECT count(*) FROM k)::int, e0.state,
                   e0.registration_opens_at, coalesce(e0.registration_closes_at, e0.ends_at), gate.not_member,
                   gate.below_tier, e0.community_id, e0.program_id, e0.min_tier, (SELECT tier_code FROM m), gate.live,
                   (SELECT waitlisted_count FROM seat), made.*, \(unescaped: seatColumns)
            FROM (SELECT 1) one LEFT JOIN e0 ON true LEFT JOIN gate ON true LEFT JOIN made ON true
                 LEFT JOIN seat ON true
            """)
        guard let row = rows.first else { return .failure(.noEvent) }
        let (events, customers, state, opens, closes, notMember, belowTier, community, program, tier, has, live) =
            try row.decode(
                (Int, Int, String?, Date?, Date?, Bool?, Bool?, Int64?, Int64?, String?, String?, Int64?).self)
        guard events == 1 else { return .failure(.noEvent) }
        guard customers == 1 else { return .failure(.noCustomer) }
        if let live { return .failure(.already(live)) }
        if let state, state != "open" { return .failure(.notOpen(state)) }
        if let opens, opens > Date() { return .failure(.notYetOpen(opens)) }
        if let closes, closes <= Date() { return .failure(.closed(closes)) }
        if notMember == true, let community { return .failure(.gated(.notAMember(community: community))) }
        if belowTier == true, let program, let tier {
            return .failure(.gated(.belowTier(program: program, tier: tier, has: has)))
        }
        guard !row[13].isNull else { return .failure(.full) }
        let position = try row[12].decode(Int?.self)
        return .success(
            (try registration(from: row, at: 13, position: position), try EventStore.event(from: row, at: 23)))
    }

    static func find(_ id: Int64, event: Int64, on tenant: TenantConnection) async throws -> EventRegistration? {
        try await tenant.query(
            """
            SELECT \(unescaped: columns),
                   (SELECT count(*)::int FROM event_registrations w
                    WHERE w.event_id = r.event_id AND w.state = 'waitlisted' AND w.id <= r.id)
            FROM event_registrations r WHERE r.id = \(id) AND r.event_id = \(event)
            """
        ).first.map { try registration(from: $0, position: try $0[10].decode(Int.self)) }
    }

    /// The event's registrations in the order they were made, in one state when asked.
    static func list(event: Int64, state: String?, after: Int64?, limit: Int, on tenant: TenantConnection)
        async throws -> [EventRegistration]
    {
        try await tenant.query(
            """
            SELECT x.* FROM (
                SELECT \(unescaped: columns),
                       CASE WHEN r.state = 'waitlisted'
                            THEN count(*) FILTER (WHERE r.state = 'waitlisted') OVER (ORDER BY r.id)::int END
                FROM event_registrations r WHERE r.event_id = \(event)
            ) x
            WHERE (\(state)::text IS NULL OR x.state = \(state)) AND (\(after)::bigint IS NULL OR x.id > \(after))
            ORDER BY x.id LIMIT \(limit)
            """
        ).collect().map { try registration(from: $0, position: try $0[10].decode(Int?.self)) }
    }

    /// A promotion's assignments (`next` has the event's `hold_hours`): a seat, or an offer of one
    /// until the hold runs out.
    private static let promotion = """
        state = CASE WHEN next.hold_hours IS NULL THEN 'registered' ELSE 'offered' END,
        hold_until = now() + next.hold_hours * interval '1 hour'
        """

    /// The CTE `expiry` that queues, for each registration `promoted` offered with a hold, the job
    /// that passes the seat on when the hold runs out (due then).
    private static func expiryJobs(_ tenant: TenantConnection) -> String {
        """
        expiry AS (
            INSERT INTO itinera.jobs (id, tenant_id, kind, payload, run_after, max_attempts, created_by, state)
            SELECT gen_random_uuid(), '\(tenant.tenant.id.uuidString.lowercased())'::uuid, '\(HoldExpiryJob.kind)',
                   jsonb_build_object('event', p.event_id), p.hold_until, 5, 'community', 'queued'
            FROM promoted p WHERE p.hold_until IS NOT NULL
        )
        """
    }

    /// Confirms an offered seat while its hold lasts.
    enum Confirmation: Sendable, Equatable {
        case confirmed(EventRegistration)
        /// Registered already (confirmed before, or never held).
        case already(EventRegistration)
        case expired(Date)
        case notOffered(EventRegistration.State)
        case noRegistration
    }

    static func confirm(_ id: Int64, event: Int64, on tenant: TenantConnection) async throws -> Confirmation {
        let rows = try await tenant.query(
            """
            UPDATE event_registrations r SET state = 'registered', hold_until = NULL, updated_at = now()
            WHERE r.id = \(id) AND r.event_id = \(event) AND r.state = 'offered' AND r.hold_until > now()
            RETURNING \(unescaped: columns)
            """)
        if let row = rows.first { return .confirmed(try registration(from: row)) }
        guard let current = try await find(id, event: event, on: tenant) else { return .noRegistration }
        switch current.state {
        case .registered: return .already(current)
        case .offered: return .expired(current.holdUntil ?? Date())
        default: return .notOffered(current.state)
        }
    }

    /// The events with offers whose hold has run out.
    static func eventsWithExpiredHolds(on tenant: TenantConnection) async throws -> [Int64] {
        try await tenant.query(
            """
            SELECT DISTINCT event_id FROM event_registrations WHERE state = 'offered' AND hold_until <= now()
            ORDER BY event_id
            """
        ).collect().map { try $0[0].decode(Int64.self) }
    }

    /// The event's offers whose hold has run out, oldest first (the caller holds the event's lock).
    static func expiredHolds(of event: Int64, on tenant: TenantConnection) async throws -> [Int64] {
        try await tenant.query(
            """
            SELECT id FROM event_registrations
            WHERE event_id = \(event) AND state = 'offered' AND hold_until <= now() ORDER BY id
            """
        ).collect().map { try $0[0].decode(Int64.self) }
    }

    /// What cancelling did: the registration as cancelled, and whom it promoted from the waiting list.
    struct Cancelled: Sendable {
        var registration: EventRegistration
        var promoted: EventRegistration?
    }

    /// Cancels the registration and, when it held a seat of an event that is not cancelled, gives
    /// the seat to the first on the waiting list, in one statement; the caller holds the event's row
    /// lock (`EventStore.find(lock:)`), so cancellations of one event promote in turn, in order. Nil
    /// when there is no such live registration.
    static func cancel(_ id: Int64, event: Int64, reason: String? = nil, on tenant: TenantConnection) async throws
        -> Cancelled?
    {
        let rows = try await tenant.query(
            """
            WITH old AS (
                SELECT r.id, r.state FROM event_registrations r
                WHERE r.id = \(id) AND r.event_id = \(event) AND r.state <> 'cancelled'
            ), gone AS (
                UPDATE event_registrations r SET state = 'cancelled', cancelled_at = now(), hold_until = NULL,
                    cancelled_reason = \(reason), updated_at = now()
                FROM old WHERE r.id = old.id
                RETURNING \(unescaped: columns)
            ), next AS (
                SELECT w.id, e.hold_hours FROM event_registrations w, community_events e
                WHERE w.event_id = \(event) AND w.state = 'waitlisted' AND e.id = \(event) AND e.state <> 'cancelled'
                  AND EXISTS (SELECT 1 FROM old WHERE old.state IN ('registered', 'offered'))
                ORDER BY w.id LIMIT 1
            ), promoted AS (
                UPDATE event_registrations r SET \(unescaped: promotion), promoted_at = now(), updated_at = now()
                FROM next WHERE r.id = next.id
                RETURNING \(unescaped: columns)
            ), \(unescaped: expiryJobs(tenant)), counted AS (
                UPDATE community_events e SET
                    registered_count = e.registered_count
                        - (SELECT count(*) FROM old WHERE old.state IN ('registered', 'offered'))::int
                        + (SELECT count(*) FROM promoted)::int,
                    waitlisted_count = e.waitlisted_count
                        - (SELECT count(*) FROM old WHERE old.state = 'waitlisted')::int
                        - (SELECT count(*) FROM promoted)::int,
                    updated_at = now()
                WHERE e.id = \(event) AND EXISTS (SELECT 1 FROM old)
            )
            SELECT gone.*, promoted.*
            FROM old JOIN gone ON true LEFT JOIN promoted ON true
            """)
        guard let row = rows.first else { return nil }
        let cancelled = try registration(from: row)
        let promoted = row[10].isNull ? nil : try registration(from: row, at: 10)
        return Cancelled(registration: cancelled, promoted: promoted)
    }

    /// Gives up to `seats` seats to the first on the waiting list, in order (the caller holds the
    /// event's row lock); answers whom.
    static func promote(event: Int64, seats: Int, on tenant: TenantConnection) async throws -> [EventRegistration] {
        try await tenant.query(
            """
            WITH next AS (
                SELECT w.id, e.hold_hours FROM event_registrations w JOIN community_events e ON e.id = w.event_id
                WHERE w.event_id = \(event) AND w.state = 'waitlisted' ORDER BY w.id LIMIT \(seats)
            ), promoted AS (
                UPDATE event_registrations r SET \(unescaped: promotion), promoted_at = now(), updated_at = now()
                FROM next WHERE r.id = next.id
                RETURNING \(unescaped: columns)
            ), \(unescaped: expiryJobs(tenant)), counted AS (
                UPDATE community_events SET registered_count = registered_count + (SELECT count(*) FROM promoted)::int,
                    waitlisted_count = waitlisted_count - (SELECT count(*) FROM promoted)::int, updated_at = now()
                WHERE id = \(event)
            )
            SELECT * FROM promoted r ORDER BY r.id
            """
        ).collect().map { try registration(from: $0) }
    }

    /// The customers registered or waiting for the event.
    static func liveCustomers(of event: Int64, on tenant: TenantConnection) async throws -> [Int64] {
        try await tenant.query(
            """
            SELECT customer_id FROM event_registrations WHERE event_id = \(event) AND state <> 'cancelled' ORDER BY id
            """
        ).collect().map { try $0[0].decode(Int64.self) }
    }

    /// The live registrations of `merged` for events `survivor` is also registered for.
    static func duplicates(of merged: Int64, with survivor: Int64, on tenant: TenantConnection) async throws
        -> [(registration: Int64, event: Int64)]
    {
        try await tenant.query(
            """
            SELECT o.id, o.event_id FROM event_registrations o
            WHERE o.customer_id = \(merged) AND o.state <> 'cancelled'
              AND EXISTS (SELECT 1 FROM event_registrations s
                          WHERE s.event_id = o.event_id AND s.customer_id = \(survivor) AND s.state <> 'cancelled')
            ORDER BY o.event_id
            """
        ).collect().map { row in
            let (registration, event) = try row.decode((Int64, Int64).self)
            return (registration, event)
        }
    }

    /// Moves every registration of `merged` to `survivor` (after `duplicates` were cancelled).
    static func move(from merged: Int64, to survivor: Int64, on tenant: TenantConnection) async throws {
        try await tenant.execute(
            "UPDATE event_registrations SET customer_id = \(survivor) WHERE customer_id = \(merged)")
    }

    /// How a check-in went.
    enum CheckIn: Sendable, Equatable {
        /// Checked in now, or earlier with the same nonce (a re-sent request): the same answer.
        case checkedIn(EventRegistration, first: Bool)
        /// Checked in earlier by another device (another nonce).
        case checkedInElsewhere(Date)
        case notRegistered(EventRegistration.State)
        case noRegistration
    }

    /// Marks the registration attended, once: a request re-sent with the same nonce finds the
    /// check-in it made.
    static func checkIn(_ id: Int64, event: Int64, nonce: String, on tenant: TenantConnection) async throws -> CheckIn {
        let rows = try await tenant.query(
            """
            UPDATE event_registrations r SET checked_in_at = now(), check_in_nonce = \(nonce), updated_at = now()
            WHERE r.id = \(id) AND r.event_id = \(event) AND r.state = 'registered' AND r.checked_in_at IS NULL
            RETURNING \(unescaped: columns)
            """)
        if let row = rows.first { return .checkedIn(try registration(from: row), first: true) }
        // Not changed: read it as it stands now (a statement of its own sees a check-in that a
        // concurrent request committed meanwhile).
        let current = try await tenant.query(
            """
            SELECT \(unescaped: columns), r.check_in_nonce FROM event_registrations r
            WHERE r.id = \(id) AND r.event_id = \(event)
            """)
        guard let row = current.first else { return .noRegistration }
        let registration = try registration(from: row)
        guard registration.state == .registered else { return .notRegistered(registration.state) }
        guard let at = registration.checkedInAt else { return .notRegistered(registration.state) }
        return try row[10].decode(String?.self) == nonce
            ? .checkedIn(registration, first: false) : .checkedInElsewhere(at)
    }
}
