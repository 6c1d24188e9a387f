import Foundation
import Itinera
import Logging

extension ItineraBench {
    /// Insight: a tenant with 1,000,000 customers and 5,000,000 orders over two years, all members of
    /// a programme with three tiers (a third of them changed tier in the last 90 days), with RFM
    /// segments. Timed: a full refresh (`POST /v1/insight/refresh`, the job's own `took_ms` and the
    /// wall time until the job succeeded), then `GET /v1/insight/overview` served from the stored
    /// figures under wrk.
    func measureInsight(client: PQPool, migrations: MigrationSet, embedded: EmbeddedPostgres, logger: Logger)
        async throws
    {
        var lines: [String] = [] {
            didSet { Self.emit(lines.last ?? "") }
        }
        lines.append("")
        lines.append("## Insight")
        let provisioner = TenantProvisioner(
            client: client, migrations: migrations, sessionLifetime: .seconds(86_400), logger: logger)
        let tenant = try await provisioner.provision(Self.signUp(slug: "insight"), ownerPasswordHash: "x")
        let token = tenant.session.value
        let customers = insightCustomers
        let orders = customers * 5
        let segments = ["champions", "loyal", "potential_loyalists", "at_risk", "hibernating"]
        let started = ContinuousClock.now
        try await TenantTransaction.run(client, tenant: tenant.tenant.identity, logger: logger) { connection in
            try await connection.execute(
                """
                INSERT INTO customers (name, rfm_segment)
                SELECT 'Customer ' || n, (\(segments))[1 + n % 5] FROM generate_series(1, \(customers)) n
                """)
            try await connection.execute(
                """
                INSERT INTO orders (customer_id, amount_minor, currency, product_name, ordered_at, status)
                SELECT 1 + n % \(customers), 20000 + n % 50000, 'CNY', 'Tour',
                       now() - ((n * 7919) % 730) * interval '1 day' - (n % 86400) * interval '1 second',
                       CASE WHEN n % 25 = 0 THEN 'cancelled' ELSE 'completed' END
                FROM generate_series(1, \(orders)) n
                """)
            try await connection.execute(
                """
                UPDATE customers c SET order_count = a.n, total_spent_minor = a.total, first_order_at = a.first,
                                       last_order_at = a.last
                FROM (SELECT customer_id, count(*)::int AS n, sum(amount_minor) AS total, min(ordered_at) AS first,
                             max(ordered_at) AS last
                      FROM orders WHERE status = 'completed' GROUP BY customer_id) AS a
                WHERE c.id = a.customer_id
                """)
            try await connection.execute(
                """
                INSERT INTO programs (name, currency, points_per_unit, points_rounding, points_expiry, tier_window,
                                      downgrade, enrolment, card_prefix)
                VALUES ('Club', 'CNY', 1, 'down', 'end_of_year', 'calendar_year', 'immediate', 'first_order', '88')
                """)
            try await connection.execute(
                """
                INSERT INTO tiers (program_id, code, name, rank, combine, min_orders)
                SELECT p.id, t.code, t.name, t.rank, 'all', t.rank FROM programs p,
                       (VALUES ('potential', 'Potential', 1), ('silver', 'Silver', 2), ('gold', 'Gold', 3))
                       AS t(code, name, rank)
                """)
            try await connection.execute(
                """
                INSERT INTO members (program_id, customer_id, card_number, tier_code)
                SELECT p.id, c.id, '88' || c.id, (ARRAY['potential', 'silver', 'gold'])[1 + c.id % 3]
                FROM programs p, customers c
                """)
            try await connection.execute(
                """
                INSERT INTO tier_history (member_id, from_tier, to_tier, source, figures, reason, changed_at)
                SELECT m.id, 'potential', m.tier_code, 'order', '{}', 'Orders', now() - (m.id % 80) * interval '1 day'
                FROM members m WHERE m.id % 3 <> 1
                """)
        }
        try await settle(embedded)
        lines.append("")
        lines.append(
            "\(customers) customers, \(orders) orders, \(customers) members written in \(ContinuousClock.now - started) (not part of the figures)."
        )
        lines.append("")
        lines.append("| round | refresh: computing (`took_ms`) | refresh: request to job done, wall |")
        lines.append("| ---: | ---: | ---: |")
        for round in 1...rounds {
            let begun = ContinuousClock.now
            let queued = try await Curl.json(
                method: "POST", port: port, path: "/v1/insight/refresh", body: "{}", token: token)
            guard queued.status == 202, let job = Self.field("id", in: queued.body) else {
                throw BenchError("the refresh answered \(queued.status): \(queued.body)")
            }
            while true {
                let state = try await Curl.json(
                    method: "GET", port: port, path: "/v1/jobs/\(job)", body: "", token: token)
                if Self.field("state", in: state.body) == "succeeded" { break }
                if Self.field("state", in: state.body) == "failed" {
                    throw BenchError("the refresh failed: \(state.body)")
                }
                try await Task.sleep(for: .milliseconds(200))
            }
            let wall = ContinuousClock.now - begun
            let overview = try await Curl.json(
                method: "GET", port: port, path: "/v1/insight/overview", body: "", token: token)
            let took = Self.field("took_ms", in: overview.body) ?? "?"
            lines.append("| \(round) | \(took) ms | \(String(format: "%.1f", wall.milliseconds / 1000)) s |")
        }
        lines.append("")
        lines.append("| connections | requests/s | p50 | p95 | p99 | `GET /v1/insight/overview` (wrk, 10 s) |")
        lines.append("| ---: | ---: | ---: | ---: | ---: | --- |")
        for connections in [2, 8] {
            let result = try await Wrk.get(
                port: port, path: "/v1/insight/overview", token: token, seconds: 10, connections: connections)
            lines.append(
                "| \(connections) | \(Int(result.requestsPerSecond)) | \(String(format: "%.2f", result.p50)) ms | \(String(format: "%.2f", result.p95)) ms | \(String(format: "%.2f", result.p99)) ms | |"
            )
        }
    }
}
