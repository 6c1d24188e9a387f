import Foundation
import Itinera
import Logging

extension ItineraBench {
    /// Care: a destination risk alert over 1,000,000 orders, timed from the outside
    /// (`POST /v1/risk-alerts`, which finds the overlapping bookings, writes them and queues the
    /// notifications in one request). The orders belong to 100,000 customers, travel between a year
    /// ago and a year ahead, and go to 200 destinations, one of which (Lijiang) has a tenth of them.
    /// Each round alerts a different fortnight; the figure is the whole request.
    func measureCare(client: PQPool, migrations: MigrationSet, embedded: EmbeddedPostgres, logger: Logger)
        async throws
    {
        var lines: [String] = [] {
            didSet { Self.emit(lines.last ?? "") }
        }
        lines.append("")
        lines.append("## Care")
        let provisioner = TenantProvisioner(
            client: client, migrations: migrations, sessionLifetime: .seconds(86_400), logger: logger)
        let tenant = try await provisioner.provision(Self.signUp(slug: "care"), ownerPasswordHash: "x")
        let token = tenant.session.value
        let orders = careOrders
        let started = ContinuousClock.now
        try await TenantTransaction.run(client, tenant: tenant.tenant.identity, logger: logger) { connection in
            try await connection.execute(
                "INSERT INTO customers (name) SELECT 'Traveller ' || n FROM generate_series(1, \(max(orders / 10, 1))) n"
            )
            try await connection.execute(
                """
                INSERT INTO orders (customer_id, amount_minor, currency, product_name, destination, ordered_at,
                                    travel_start, travel_end, status)
                SELECT 1 + n % \(max(orders / 10, 1)), 100000, 'CNY', 'Tour',
                       CASE WHEN n % 10 = 0 THEN 'Lijiang' ELSE 'Destination ' || (n % 199) END,
                       now() - interval '30 days', current_date + (n * 7919 % 730 - 365)::int,
                       current_date + (n * 7919 % 730 - 365 + n % 8)::int,
                       CASE WHEN n % 20 = 0 THEN 'cancelled' ELSE 'confirmed' END
                FROM generate_series(1, \(orders)) n
                """)
            try await connection.execute(
                """
                INSERT INTO message_templates (name, channel, purpose, body)
                VALUES ('risk', 'sms', 'service', '{{alert.message}}')
                """)
        }
        try await settle(embedded)
        lines.append("")
        lines.append("\(orders) orders written in \(ContinuousClock.now - started) (not part of the figure).")
        lines.append("")
        lines.append("| round | destination | bookings found | POST /v1/risk-alerts, seconds (curl, whole request) |")
        lines.append("| ---: | --- | ---: | ---: |")
        let formatter = ISO8601DateFormatter()
        for round in 1...rounds {
            for destination in ["Lijiang", "Destination 7"] {
                let start = Date().addingTimeInterval(Double(round * 20) * 86_400)
                let alert = try await Curl.json(
                    method: "POST", port: port, path: "/v1/risk-alerts",
                    body: """
                        {"destination":"\(destination)","starts_at":"\(formatter.string(from: start))",\
                        "ends_at":"\(formatter.string(from: start.addingTimeInterval(14 * 86_400)))",\
                        "severity":"warning","message":"Storms.","templates":["risk"]}
                        """, token: token)
                guard alert.status == 202, let bookings = Self.field("bookings", in: alert.body) else {
                    throw BenchError("the alert answered \(alert.status): \(alert.body)")
                }
                lines.append(
                    "| \(round) | \(destination) | \(bookings) | \(String(format: "%.3f", alert.seconds)) |")
            }
        }
    }

    /// For `--hold-touchpoint-rules`: that many trip touchpoint rules for the held tenant, every one
    /// matching every order (run `Benchmarks/wrk/orders.lua` with TRAVEL=1 for orders with travel
    /// dates).
    static func holdTouchpoints(rules count: Int, tenant: TenantIdentity, client: PQPool, logger: Logger)
        async throws
    {
        try await TenantTransaction.run(client, tenant: tenant, logger: logger) { connection in
            try await connection.execute(
                """
                INSERT INTO touchpoint_rules (code, position, phase, anchor, offset_hours, channel, template)
                SELECT 'rule-' || n, n, (ARRAY['pre', 'in', 'post'])[1 + n % 3],
                       CASE WHEN n % 3 = 2 THEN 'end' ELSE 'start' END, (ARRAY[-72, 10, 2])[1 + n % 3] + n / 3,
                       'sms', 'guide'
                FROM generate_series(0, \(count - 1)) n
                """)
        }
    }
}
