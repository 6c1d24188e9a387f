import Foundation
import PostgresNIO

/// The SQL of risk alerts (tenant schema): the alert, the bookings it found (travel at its
/// destination overlapping its dates on the tenant's calendar), and each booking's notification.
enum RiskAlertStore {
    static let columns = """
        a.id, a.destination, a.starts_at, a.ends_at, a.severity, a.message, a.offer_id, a.templates, a.state,
        a.bookings, a.created_by, a.created_at, a.finished_at
        """

    static func alert(from row: PQRow) throws -> RiskAlert {
        RiskAlert(
            id: try row[0].decode(Int64.self), destination: try row[1].decode(String.self),
            startsAt: try row[2].decode(Date.self), endsAt: try row[3].decode(Date.self),
            severity: try row[4].decode(String.self), message: try row[5].decode(String.self),
            offerID: try row[6].decode(Int64?.self), templates: try row[7].decode([String].self),
            state: RiskAlert.State(rawValue: try row[8].decode(String.self)) ?? .notifying,
            bookings: try row[9].decode(Int.self), createdBy: try row[10].decode(String.self),
            createdAt: try row[11].decode(Date.self), finishedAt: try row[12].decode(Date?.self))
    }

    /// Records the alert and the bookings it affects: orders that count, at its destination (in any
    /// case), whose travel dates overlap its period as dates in `zone`.
    static func create(
        destination: String, startsAt: Date, endsAt: Date, severity: String, message: String, offer: Int64?,
        templates: [String], createdBy: String, zone: String, on tenant: TenantConnection
    ) async throws -> RiskAlert {
        let id = try await tenant.query(
            """
            INSERT INTO risk_alerts (destination, starts_at, ends_at, severity, message, offer_id, templates, created_by)
            VALUES (\(destination), \(startsAt), \(endsAt), \(severity), \(message), \(offer), \(templates), \(createdBy))
            RETURNING id
            """
        ).first!.decode(Int64.self)
        let rows = try await tenant.query(
            """
            WITH b AS (
                INSERT INTO risk_alert_bookings (alert_id, order_id, customer_id, travel_start)
                SELECT a.id, o.id, o.customer_id, o.travel_start
                FROM risk_alerts a JOIN orders o
                  ON lower(o.destination) = lower(a.destination)
                 AND o.travel_start IS NOT NULL
                 AND coalesce(o.travel_end, o.travel_start) >= (a.starts_at AT TIME ZONE \(zone))::date
                 AND o.travel_start <= (a.ends_at AT TIME ZONE \(zone))::date
                 AND o.status IN ('confirmed', 'completed')
                WHERE a.id = \(id)
                RETURNING 1
            )
            UPDATE risk_alerts a SET bookings = (SELECT count(*) FROM b)
            WHERE a.id = \(id)
            RETURNING \(unescaped: columns)
            """)
        return try alert(from: rows.first!)
    }

    static func find(_ id: Int64, on tenant: TenantConnection) async throws -> RiskAlert? {
        try await tenant.query("SELECT \(unescaped: columns) FROM risk_alerts a WHERE a.id = \(id)").first.map(
            alert(from:))
    }

    /// Alerts, newest first, after the cursor `after`.
    static func list(after: (micros: Int64, id: Int64)?, limit: Int, on tenant: TenantConnection) async throws
        -> [RiskAlert]
    {
        try await tenant.query(
            """
            SELECT \(unescaped: columns) FROM risk_alerts a
            WHERE \(after?.micros)::bigint IS NULL
               OR (a.created_at, a.id)
                  < (timestamptz 'epoch' + \(after?.micros) * interval '1 microsecond', \(after?.id)::bigint)
            ORDER BY a.created_at DESC, a.id DESC
            LIMIT \(limit)
            """
        ).collect().map(alert(from:))
    }

    /// How the alert's notifications went.
    static func report(_ id: Int64, on tenant: TenantConnection) async throws -> RiskAlertReport {
        var report = RiskAlertReport()
        for row in try await tenant.query(
            """
            SELECT state, coalesce(reason, ''), count(*)::int,
                   count(*) FILTER (WHERE hours_before >= \(RiskAlert.reachHours))::int
            FROM risk_alert_bookings WHERE alert_id = \(id)
            GROUP BY 1, 2
            """
        ).collect() {
            let (state, reason, count, inTime) = (
                try row[0].decode(String.self), try row[1].decode(String.self), try row[2].decode(Int.self),
                try row[3].decode(Int.self)
            )
            switch state {
            case "pending": report.pending += count
            case "reached":
                report.reached += count
                report.reachedInTime += inTime
            default: report.unreachable[reason, default: 0] += count
            }
        }
        return report
    }

    static let bookingColumns = """
        order_id, customer_id, travel_start::text, state, reason, channel, message_id, notified_at, hours_before::float8
        """

    static func booking(from row: PQRow) throws -> RiskAlertBooking {
        RiskAlertBooking(
            orderID: try row[0].decode(Int64.self), customerID: try row[1].decode(Int64.self),
            travelStart: try row[2].decode(String.self),
            state: RiskAlertBooking.State(rawValue: try row[3].decode(String.self)) ?? .pending,
            reason: try row[4].decode(String?.self), channel: try row[5].decode(String?.self),
            messageID: try row[6].decode(Int64?.self), notifiedAt: try row[7].decode(Date?.self),
            hoursBefore: try row[8].decode(Double?.self))
    }

    /// The alert's bookings by order id, after `after`, in a state.
    static func bookings(
        of id: Int64, state: String?, after: Int64?, limit: Int, on tenant: TenantConnection
    ) async throws -> [RiskAlertBooking] {
        try await tenant.query(
            """
            SELECT \(unescaped: bookingColumns) FROM risk_alert_bookings
            WHERE alert_id = \(id) AND (\(state)::text IS NULL OR state = \(state))
              AND order_id > coalesce(\(after)::bigint, 0)
            ORDER BY order_id
            LIMIT \(limit)
            """
        ).collect().map(booking(from:))
    }

    /// Takes up to `limit` of the alert's bookings still to be told, locked until the transaction
    /// ends (skipping any another worker holds).
    static func takePending(of id: Int64, limit: Int, on tenant: TenantConnection) async throws -> [RiskAlertBooking] {
        try await tenant.query(
            """
            SELECT \(unescaped: bookingColumns) FROM risk_alert_bookings
            WHERE alert_id = \(id) AND state = 'pending'
            ORDER BY order_id
            LIMIT \(limit)
            FOR UPDATE SKIP LOCKED
            """
        ).collect().map(booking(from:))
    }

    /// Records a booking's notification (a message by `channel`) or why there is none, now, with
    /// the hours left until 00:00 of its first day of travel in `zone`; one already settled is left.
    static func settle(
        alert: Int64, order: Int64, message: Int64?, channel: String?, reason: String?, zone: String,
        on tenant: TenantConnection
    ) async throws {
        try await tenant.query(
            """
            UPDATE risk_alert_bookings
            SET state = CASE WHEN \(message)::bigint IS NULL THEN 'unreachable' ELSE 'reached' END,
                reason = \(reason), channel = \(channel), message_id = \(message), notified_at = now(),
                hours_before = round((extract(epoch FROM (travel_start::timestamp AT TIME ZONE \(zone)) - now())
                                      / 3600)::numeric, 2)
            WHERE alert_id = \(alert) AND order_id = \(order) AND state = 'pending'
            """)
    }

    /// Marks the alert done.
    static func finish(_ id: Int64, on tenant: TenantConnection) async throws -> RiskAlert? {
        try await tenant.query(
            """
            UPDATE risk_alerts a SET state = 'done', finished_at = now()
            WHERE a.id = \(id) AND a.state = 'notifying'
            RETURNING \(unescaped: columns)
            """
        ).first.map(alert(from:))
    }
}
