import Foundation
import PostgresNIO

/// The SQL of trip touchpoints (tenant schema): the rules and quiet hours, each order's touchpoints
/// with their due times (computed by `touchpoint_due`, in the tenant's time zone), the jobs that send
/// them, and what became of each.
enum TouchpointStore {
    /// The touchpoints of the orders `orders` (a relation with the columns of `orders`) that are
    /// still to come, one per matching rule, with a `care.touchpoints` job for each due time; `zone`
    /// and `tenant` are SQL expressions.
    private static func scheduleSQL(orders: String, zone: String, tenant: String) -> String {
        """
        WITH t AS (
            INSERT INTO touchpoints (order_id, rule, phase, channel, template, due_at)
            SELECT o.id, r.code, r.phase, r.channel, r.template, d.due
            FROM \(orders) AS o
            CROSS JOIN touchpoint_settings s
            JOIN touchpoint_rules r
              ON (r.product_category IS NULL OR r.product_category = o.product_category)
             AND (r.destination IS NULL OR lower(r.destination) = lower(o.destination))
            CROSS JOIN LATERAL (
                SELECT touchpoint_due(
                    CASE r.anchor WHEN 'start' THEN o.travel_start::timestamp
                                  ELSE (coalesce(o.travel_end, o.travel_start) + 1)::timestamp END,
                    r.offset_hours, s.quiet_start, s.quiet_end, \(zone)) AS due
            ) AS d
            WHERE o.travel_start IS NOT NULL AND o.status IN ('confirmed', 'completed') AND d.due > now()
            ON CONFLICT (order_id, rule) DO NOTHING
            RETURNING id, due_at
        ), first AS (
            -- A due time that has its job queued needs no other: the job takes every touchpoint due
            -- by its time. The slot's key decides, whatever the planner knows of the tables.
            INSERT INTO touchpoint_slots (due_at) SELECT DISTINCT due_at FROM t
            ON CONFLICT (due_at) DO NOTHING
            RETURNING due_at
        )
        \(JobStore.queueAtDueTimes(kind: TouchpointJob.kind, times: "first", tenant: tenant, createdBy: "care"))
        """
    }

    /// Schedules a newly recorded order's touchpoints, sent with the transaction's next flush (no
    /// round trip of its own on the order path).
    static func schedule(_ order: Order, tenant: Tenant, on connection: TenantConnection) throws {
        guard let start = order.details.travelStart, order.details.status.counts else { return }
        connection.connection.sendWithNext(
            try scheduleOrderStatement
                .binding(order.id).binding(order.details.productCategory).binding(order.details.destination)
                .binding(start).binding(order.details.travelEnd).binding(order.details.status.rawValue)
                .binding(tenant.timezone).binding(tenant.id))
    }

    private static let scheduleOrderStatement = PQStatement(
        prepared: scheduleSQL(
            orders: """
                (SELECT $1::bigint AS id, $2::text AS product_category, $3::text AS destination,
                        $4::text::date AS travel_start, $5::text::date AS travel_end, $6::text AS status)
                """, zone: "$7::text", tenant: "$8::uuid"))

    /// Withdraws the pending touchpoints of a cancelled order, with the transaction's next flush.
    static func withdraw(order: Int64, on connection: TenantConnection) throws {
        connection.connection.sendWithNext(try withdrawStatement.binding(order))
    }

    private static let withdrawStatement = PQStatement(
        prepared: """
            UPDATE touchpoints SET state = 'withdrawn', reason = 'order_cancelled', updated_at = now()
            WHERE order_id = $1::bigint AND state = 'pending'
            """)

    /// The quiet hours and the rules, in order.
    static func rules(on tenant: TenantConnection) async throws -> (QuietHours, [TouchpointRule]) {
        let quiet =
            try await tenant.query(
                """
                SELECT (extract(epoch FROM quiet_start) / 60)::int, (extract(epoch FROM quiet_end) / 60)::int
                FROM touchpoint_settings
                """
            ).first.map { QuietHours(start: try $0[0].decode(Int.self), end: try $0[1].decode(Int.self)) } ?? .default
        let rules = try await tenant.query(
            """
            SELECT code, phase, anchor, offset_hours, channel, template, product_category, destination
            FROM touchpoint_rules ORDER BY position
            """
        ).collect().map { row in
            TouchpointRule(
                code: try row[0].decode(String.self),
                phase: TouchpointRule.Phase(rawValue: try row[1].decode(String.self)) ?? .pre,
                anchor: TouchpointRule.Anchor(rawValue: try row[2].decode(String.self)) ?? .start,
                offsetHours: try row[3].decode(Int.self), channel: try row[4].decode(String.self),
                template: try row[5].decode(String.self), productCategory: try row[6].decode(String?.self),
                destination: try row[7].decode(String?.self))
        }
        return (quiet, rules)
    }

    /// Replaces the quiet hours and the rules, and schedules again every trip still to come: the
    /// pending touchpoints go, and each counting order with travel dates gets those of the new rules
    /// that are still ahead (a touchpoint already sent is not sent again). Answers how many are
    /// pending now.
    static func replace(
        quiet: QuietHours, rules: [TouchpointRule], tenant: Tenant, on connection: TenantConnection
    ) async throws -> Int {
        try await connection.query(
            """
            UPDATE touchpoint_settings
            SET quiet_start = make_time(\(quiet.start / 60)::int, \(quiet.start % 60)::int, 0),
                quiet_end = make_time(\(quiet.end / 60)::int, \(quiet.end % 60)::int, 0)
            """)
        try await connection.query("DELETE FROM touchpoint_rules")
        try await connection.query(
            """
            INSERT INTO touchpoint_rules (code, position, phase, anchor, offset_hours, channel, template,
                                          product_category, destination)
            SELECT code, position, phase, anchor, offset_hours, channel, template, nullif(category, ''),
                   nullif(destination, '')
            FROM unnest(\(rules.map(\.code)), \(rules.indices.map { $0 }), \(rules.map(\.phase.rawValue)),
                        \(rules.map(\.anchor.rawValue)), \(rules.map(\.offsetHours)), \(rules.map(\.channel)),
                        \(rules.map(\.template)), \(rules.map { $0.productCategory ?? "" }),
                        \(rules.map { $0.destination ?? "" }))
                 AS r(code, position, phase, anchor, offset_hours, channel, template, category, destination)
            """)
        try await connection.query("DELETE FROM touchpoints WHERE state = 'pending'")
        try await connection.query("DELETE FROM touchpoint_slots")
        // Trips that ended more than the longest offset ago have nothing left to come.
        try await connection.query(
            PQStatement(
                unsafeSQL: scheduleSQL(
                    orders: """
                        (SELECT * FROM orders
                         WHERE travel_start IS NOT NULL AND status IN ('confirmed', 'completed')
                           AND coalesce(travel_end, travel_start) >= current_date - 92)
                        """, zone: "$1::text", tenant: "$2::uuid")
            ).binding(tenant.timezone).binding(tenant.id))
        return try await pendingCount(on: connection)
    }

    /// How many touchpoints wait for their due time.
    static func pendingCount(on tenant: TenantConnection) async throws -> Int {
        try await tenant.query("SELECT count(*)::int FROM touchpoints WHERE state = 'pending'").first?
            .decode(Int.self) ?? 0
    }

    static let columns = """
        t.id, t.order_id, o.customer_id, t.rule, t.phase, t.channel, t.template, t.due_at, t.state, t.reason,
        t.message_id, t.updated_at
        """

    static func touchpoint(from row: PQRow) throws -> Touchpoint {
        Touchpoint(
            id: try row[0].decode(Int64.self), orderID: try row[1].decode(Int64.self),
            customerID: try row[2].decode(Int64.self), rule: try row[3].decode(String.self),
            phase: TouchpointRule.Phase(rawValue: try row[4].decode(String.self)) ?? .pre,
            channel: try row[5].decode(String.self), template: try row[6].decode(String.self),
            dueAt: try row[7].decode(Date.self),
            state: Touchpoint.State(rawValue: try row[8].decode(String.self)) ?? .pending,
            reason: try row[9].decode(String?.self), messageID: try row[10].decode(Int64?.self),
            updatedAt: try row[11].decode(Date.self))
    }

    /// Touchpoints by due time (then id), after the cursor `after`, of an order, a customer and/or
    /// in a state.
    static func list(
        order: Int64?, customer: Int64?, state: String?, after: (micros: Int64, id: Int64)?, limit: Int,
        on tenant: TenantConnection
    ) async throws -> [Touchpoint] {
        try await tenant.query(
            """
            SELECT \(unescaped: columns)
            FROM touchpoints t JOIN orders o ON o.id = t.order_id
            WHERE (\(order)::bigint IS NULL OR t.order_id = \(order))
              AND (\(customer)::bigint IS NULL OR o.customer_id = \(customer))
              AND (\(state)::text IS NULL OR t.state = \(state))
              AND (\(after?.micros)::bigint IS NULL
                   OR (t.due_at, t.id)
                      > (timestamptz 'epoch' + \(after?.micros) * interval '1 microsecond', \(after?.id)::bigint))
            ORDER BY t.due_at, t.id
            LIMIT \(limit)
            """
        ).collect().map(touchpoint(from:))
    }

    /// Forgets the due times that have passed (their jobs have run or are running).
    static func passSlots(on tenant: TenantConnection) async throws {
        try await tenant.query("DELETE FROM touchpoint_slots WHERE due_at <= now()")
    }

    /// Takes up to `limit` pending touchpoints due by now, locked until the transaction ends
    /// (skipping any another worker holds), with whether their order still counts.
    static func takeDue(limit: Int, on tenant: TenantConnection) async throws -> [(Touchpoint, Bool)] {
        try await tenant.query(
            """
            SELECT \(unescaped: columns), o.status IN ('confirmed', 'completed')
            FROM touchpoints t JOIN orders o ON o.id = t.order_id
            WHERE t.state = 'pending' AND t.due_at <= now()
            ORDER BY t.due_at, t.id
            LIMIT \(limit)
            FOR UPDATE OF t SKIP LOCKED
            """
        ).collect().map { row in (try touchpoint(from: row), try row[12].decode(Bool.self)) }
    }

    /// Records what became of a due touchpoint: its message, or why there is none; a touchpoint
    /// no longer pending is left as it is.
    static func settle(
        _ id: Int64, state: Touchpoint.State, reason: String?, message: Int64?, on tenant: TenantConnection
    ) async throws {
        try await tenant.query(
            """
            UPDATE touchpoints SET state = \(state.rawValue), reason = \(reason), message_id = \(message),
                   updated_at = now()
            WHERE id = \(id) AND state = 'pending'
            """)
    }
}

extension TouchpointStore {
    /// The states of the touchpoints `ids`.
    static func states(of ids: [Int64], on tenant: TenantConnection) async throws -> [Touchpoint.State] {
        guard !ids.isEmpty else { return [] }
        return try await tenant.query("SELECT state FROM touchpoints WHERE id = ANY(\(ids))").collect().map {
            Touchpoint.State(rawValue: try $0[0].decode(String.self)) ?? .pending
        }
    }
}
