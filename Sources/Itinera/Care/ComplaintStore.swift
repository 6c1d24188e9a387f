import Foundation
import PostgresNIO

/// The SQL of complaints (tenant schema): the row with its derived service-level columns, its
/// history, the policy per severity, and what merges and erasure do to them. Times are the server
/// clock's (`WallClock`), passed in, so that a test can move them.
enum ComplaintStore {
    static let columns = """
        p.id, p.customer_id, p.order_id, p.channel, p.category, p.severity, p.summary, p.assignee_id, p.state,
        p.opened_at, p.first_response_minutes, p.resolution_minutes, p.first_response_due_at, p.first_responded_at,
        p.resolution_due_at, p.paused_since, p.resolved_at, p.updated_at
        """

    static func complaint(from row: PQRow) throws -> Complaint {
        func column<Value: PostgresDecodable>(_ index: Int, _ type: Value.Type) throws -> Value {
            try row[index].decode(Value.self)
        }
        return Complaint(
            id: try column(0, Int64.self), customerID: try column(1, Int64.self), orderID: try column(2, Int64?.self),
            channel: try column(3, String.self), category: try column(4, String.self),
            severity: try column(5, String.self), summary: try column(6, String.self),
            assigneeID: try column(7, UUID?.self),
            state: Complaint.State(rawValue: try column(8, String.self)) ?? .open,
            openedAt: try column(9, Date.self), firstResponseMinutes: try column(10, Int.self),
            resolutionMinutes: try column(11, Int.self), firstResponseDueAt: try column(12, Date.self),
            firstRespondedAt: try column(13, Date?.self), resolutionDueAt: try column(14, Date.self),
            pausedSince: try column(15, Date?.self), resolvedAt: try column(16, Date?.self),
            updatedAt: try column(17, Date.self))
    }

    /// Opens a complaint at `at` under its severity's policy, with its `opened` event; nil when the
    /// customer does not exist (or is erased) or the order is not theirs.
    static func open(
        customer: Int64, order: Int64?, channel: String, category: String, severity: String, summary: String,
        assignee: UUID?, actor: String, at: Date, on tenant: TenantConnection
    ) async throws -> Complaint? {
        try await tenant.query(
            """
            WITH c AS (
                SELECT id FROM customers WHERE id = \(customer) AND erased_at IS NULL
                  AND (\(order)::bigint IS NULL
                       OR EXISTS (SELECT 1 FROM orders o WHERE o.id = \(order) AND o.customer_id = customers.id))
            ), s AS (
                SELECT first_response_minutes, resolution_minutes FROM complaint_sla_policies WHERE severity = \(severity)
            ), p AS (
                INSERT INTO complaints AS p (customer_id, order_id, channel, category, severity, summary, assignee_id,
                                             opened_at, first_response_minutes, resolution_minutes,
                                             first_response_due_at, resolution_due_at, updated_at)
                SELECT c.id, \(order), \(channel), \(category), \(severity), \(summary), \(assignee), \(at),
                       s.first_response_minutes, s.resolution_minutes,
                       \(at)::timestamptz + s.first_response_minutes * interval '1 minute',
                       \(at)::timestamptz + s.resolution_minutes * interval '1 minute', \(at)
                FROM c, s
                RETURNING \(unescaped: columns)
            ), e AS (
                INSERT INTO complaint_events (complaint_id, type, state, at, actor)
                SELECT p.id, 'opened', 'open', \(at), \(actor) FROM p
            )
            SELECT \(unescaped: columns) FROM p
            """
        ).first.map { try complaint(from: $0) }
    }

    static func find(_ id: Int64, lock: Bool = false, on tenant: TenantConnection) async throws -> Complaint? {
        try await tenant.query(
            """
            SELECT \(unescaped: columns) FROM complaints p WHERE p.id = \(id)
            \(unescaped: lock ? "FOR UPDATE" : "")
            """
        ).first.map { try complaint(from: $0) }
    }

    static func events(of id: Int64, on tenant: TenantConnection) async throws -> [ComplaintEvent] {
        try await tenant.query(
            "SELECT type, state, at, actor, note FROM complaint_events WHERE complaint_id = \(id) ORDER BY at, id"
        ).collect().map { row in
            let (type, state, at, actor, note) = try row.decode((String, String?, Date, String, String?).self)
            return ComplaintEvent(
                type: type, state: state.flatMap(Complaint.State.init(rawValue:)), at: at, actor: actor, note: note)
        }
    }

    /// Records an event of the complaint's history at `at`.
    static func record(_ event: ComplaintEvent, of id: Int64, on tenant: TenantConnection) async throws {
        try await tenant.execute(
            """
            INSERT INTO complaint_events (complaint_id, type, state, at, actor, note)
            VALUES (\(id), \(event.type), \(event.state?.rawValue), \(event.at), \(event.actor), \(event.note))
            """)
    }

    /// Writes the complaint's state, assignee and the service-level columns derived from its history.
    static func update(
        _ id: Int64, state: Complaint.State, assignee: UUID?, sla: ComplaintSLA, at: Date, on tenant: TenantConnection
    ) async throws -> Complaint? {
        try await tenant.query(
            """
            UPDATE complaints p
            SET state = \(state.rawValue), assignee_id = \(assignee), first_responded_at = \(sla.firstRespondedAt),
                resolution_due_at = \(sla.resolutionDueAt), paused_since = \(sla.pausedSince),
                resolved_at = \(sla.resolvedAt), updated_at = \(at)
            WHERE p.id = \(id)
            RETURNING \(unescaped: columns)
            """
        ).first.map { try complaint(from: $0) }
    }

    /// One page of complaints, newest first, by state, customer and breach (as of `now`).
    static func list(
        state: String?, customer: Int64?, breached: Bool?, now: Date, after: (micros: Int64, id: Int64)?, limit: Int,
        on tenant: TenantConnection
    ) async throws -> [Complaint] {
        try await tenant.query(
            """
            SELECT \(unescaped: columns) FROM complaints p
            WHERE (\(state)::text IS NULL OR p.state = \(state))
              AND (\(customer)::bigint IS NULL OR p.customer_id = \(customer))
              AND (\(breached)::boolean IS NULL OR \(breached) = (
                       coalesce(p.first_responded_at, \(now)) > p.first_response_due_at
                       OR coalesce(p.resolved_at, p.paused_since, \(now)) > p.resolution_due_at))
              AND (\(after?.micros)::bigint IS NULL
                   OR (p.opened_at, p.id)
                      < (timestamptz 'epoch' + \(after?.micros) * interval '1 microsecond', \(after?.id)::bigint))
            ORDER BY p.opened_at DESC, p.id DESC LIMIT \(limit)
            """
        ).collect().map { try complaint(from: $0) }
    }

    /// A merge: the merged customer's complaints become the survivor's.
    static func move(customer merged: Int64, to survivor: Int64, on tenant: TenantConnection) async throws {
        try await tenant.execute("UPDATE complaints SET customer_id = \(survivor) WHERE customer_id = \(merged)")
    }

    /// An erasure: what the customer said is removed; the complaint's times and states stay for the
    /// service-level figures.
    static func erase(customer: Int64, on tenant: TenantConnection) async throws {
        try await tenant.execute(
            """
            WITH erased AS (
                UPDATE complaints SET summary = '(erased)' WHERE customer_id = \(customer) RETURNING id
            )
            UPDATE complaint_events SET note = NULL WHERE complaint_id IN (SELECT id FROM erased)
            """)
    }
}

extension ComplaintStore {
    /// One line of the service-level report: a period, an agent or a category, and how many of
    /// its complaints met each clock, missed it, or are not due yet.
    struct ReportLine: Sendable {
        var dimension: String
        var key: String?
        var complaints: Int
        var firstResponseMet: Int
        var firstResponseMissed: Int
        var resolutionMet: Int
        var resolutionMissed: Int
    }

    /// The complaints opened in `[from, to)`, grouped by period (the tenant's calendar `unit`), by
    /// assignee and by category in one pass, as of `now`.
    static func report(from: Date, to: Date, unit: String, timezone: String, now: Date, on tenant: TenantConnection)
        async throws -> [ReportLine]
    {
        try await tenant.query(
            """
            WITH p AS (
                SELECT to_char(date_trunc(\(unit), p.opened_at AT TIME ZONE \(timezone)), 'YYYY-MM-DD') AS period,
                       p.assignee_id::text AS agent, p.category,
                       p.first_responded_at IS NOT NULL AND p.first_responded_at <= p.first_response_due_at AS fr_met,
                       coalesce(p.first_responded_at, \(now)) > p.first_response_due_at AS fr_missed,
                       p.resolved_at IS NOT NULL AND p.resolved_at <= p.resolution_due_at AS res_met,
                       coalesce(p.resolved_at, p.paused_since, \(now)) > p.resolution_due_at AS res_missed
                FROM complaints p WHERE p.opened_at >= \(from) AND p.opened_at < \(to)
            )
            SELECT CASE WHEN GROUPING(period) = 0 THEN 'period' WHEN GROUPING(agent) = 0 THEN 'agent'
                        ELSE 'category' END,
                   coalesce(period, agent, category), count(*)::int,
                   count(*) FILTER (WHERE fr_met)::int, count(*) FILTER (WHERE fr_missed)::int,
                   count(*) FILTER (WHERE res_met)::int, count(*) FILTER (WHERE res_missed)::int
            FROM p GROUP BY GROUPING SETS ((period), (agent), (category))
            ORDER BY 1, 2 NULLS FIRST
            """
        ).collect().map { row in
            let (dimension, key, complaints, frMet, frMissed, resMet, resMissed) = try row.decode(
                (String, String?, Int, Int, Int, Int, Int).self)
            return ReportLine(
                dimension: dimension, key: key, complaints: complaints, firstResponseMet: frMet,
                firstResponseMissed: frMissed, resolutionMet: resMet, resolutionMissed: resMissed)
        }
    }
}

extension ComplaintStore {
    /// The service level of each severity: minutes to the first response and to the resolution.
    static func policies(on tenant: TenantConnection) async throws -> [(
        severity: String, firstResponse: Int, resolution: Int
    )] {
        try await tenant.query(
            """
            SELECT severity, first_response_minutes, resolution_minutes FROM complaint_sla_policies
            ORDER BY array_position(ARRAY['low', 'normal', 'high', 'urgent'], severity)
            """
        ).collect().map { try $0.decode((String, Int, Int).self) }
    }

    /// Changes the policies of the severities named; complaints keep the policy they were opened
    /// under.
    static func setPolicies(
        _ policies: [(severity: String, firstResponse: Int, resolution: Int)], on tenant: TenantConnection
    ) async throws {
        try await tenant.query(
            """
            UPDATE complaint_sla_policies p SET first_response_minutes = u.f, resolution_minutes = u.r
            FROM unnest(\(policies.map(\.severity)), \(policies.map(\.firstResponse)), \(policies.map(\.resolution)))
                 AS u(s, f, r)
            WHERE p.severity = u.s
            """)
    }
}
