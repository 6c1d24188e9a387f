import Foundation
import Itinera
import Logging

extension ItineraBench {
    /// Campaigns: the launch of a win-back campaign over 1,000,000 lapsed customers (all, or the
    /// given percentage, with marketing consent by e-mail), timed from the outside (`POST /v1/campaigns/{id}/launch`, which
    /// snapshots the audience and splits it in one statement, then audits and queues the send). Each
    /// round launches a new campaign (10% held out) and pauses it at once; the recipients it wrote
    /// are counted and removed before the next round, so each starts from the same audience.
    func measureCampaigns(client: PQPool, migrations: MigrationSet, embedded: EmbeddedPostgres, logger: Logger)
        async throws
    {
        var lines: [String] = [] {
            didSet { Self.emit(lines.last ?? "") }
        }
        lines.append("")
        lines.append("## Campaigns")
        let provisioner = TenantProvisioner(
            client: client, migrations: migrations, sessionLifetime: .seconds(86_400), logger: logger)
        let tenant = try await provisioner.provision(Self.signUp(slug: "campaigns"), ownerPasswordHash: "x")
        let token = tenant.session.value
        let identity = tenant.tenant.identity
        let customers = campaignCustomers
        let started = ContinuousClock.now
        try await TenantTransaction.run(client, tenant: identity, logger: logger) { connection in
            try await connection.execute(
                """
                INSERT INTO customers (name, order_count, total_spent_minor, first_order_at, last_order_at)
                SELECT 'Lapsed ' || n, 1 + n % 3, 40000 + n % 50000,
                       now() - (100 + n % 200) * interval '1 day', now() - (100 + n % 200) * interval '1 day'
                FROM generate_series(1, \(customers)) n
                """)
            try await connection.execute(
                """
                INSERT INTO consents (customer_id, channel, purpose, granted, recorded_at, source)
                SELECT id, 'email', 'marketing', true, now(), 'bench' FROM customers WHERE id % 100 >= \(100 - campaignConsentPercent)
                """)
            try await connection.execute(
                """
                INSERT INTO message_templates (name, channel, purpose, subject, body)
                VALUES ('back', 'email', 'marketing', 'We miss you', 'Come back to {{trip.destination}}')
                """)
        }
        try await settle(embedded)
        lines.append("")
        lines.append(
            "\(customers) lapsed customers written in \(ContinuousClock.now - started) (not part of the figure)."
        )
        lines.append("")
        lines.append("| round | audience (treated + hold-out) | launch, seconds (curl, whole request) |")
        lines.append("| ---: | ---: | ---: |")
        for round in 1...rounds {
            let created = try await Curl.json(
                method: "POST", port: port, path: "/v1/campaigns",
                body:
                    #"{"name":"Bench \#(round)","audience":{"lapsed_days_min":90},"channel":"email","template":"back","holdout_percent":10,"attribution_days":30,"cooldown_days":0}"#,
                token: token)
            guard created.status == 201, let id = Self.field("id", in: created.body) else {
                throw BenchError("creating the campaign answered \(created.status): \(created.body)")
            }
            let launch = try await Curl.json(
                method: "POST", port: port, path: "/v1/campaigns/\(id)/launch", body: "{}", token: token)
            guard launch.status == 200 else {
                throw BenchError("the launch answered \(launch.status): \(launch.body)")
            }
            let pause = try await Curl.json(
                method: "POST", port: port, path: "/v1/campaigns/\(id)/pause", body: "{}", token: token)
            guard pause.status == 200 else { throw BenchError("the pause answered \(pause.status): \(pause.body)") }
            let (treated, holdout) = try await TenantTransaction.run(client, tenant: identity, logger: logger) {
                connection in
                let counts =
                    try await connection.query(
                        """
                        SELECT count(*) FILTER (WHERE grp = 'treated')::int, count(*) FILTER (WHERE grp = 'holdout')::int
                        FROM campaign_recipients WHERE campaign_id = \(Int64(id) ?? 0)
                        """
                    ).first?.decode((Int, Int).self) ?? (0, 0)
                try await connection.execute("DELETE FROM campaign_recipients")
                try await connection.execute("DELETE FROM messages")
                return counts
            }
            lines.append(
                "| \(round) | \(treated + holdout) (\(treated) + \(holdout)) | \(String(format: "%.2f", launch.seconds)) |"
            )
            try await settle(embedded)
        }
    }

    /// For `--hold-campaign-customers`: `count` customers with the phones `Benchmarks/wrk/orders.lua`
    /// orders for (`PHONES=count`), and a running campaign with every one of them treated and in its
    /// window for the orders' time, so that each one's first order is a recovery.
    static func holdCampaign(customers count: Int, tenant: TenantIdentity, client: PQPool, logger: Logger)
        async throws
    {
        try await TenantTransaction.run(client, tenant: tenant, logger: logger) { connection in
            try await connection.execute(
                """
                WITH c AS (
                    INSERT INTO customers (name) SELECT 'Held ' || n FROM generate_series(0, \(count - 1)) n
                    RETURNING id, name
                )
                INSERT INTO customer_identities (kind, value, customer_id)
                SELECT 'phone', '+86139' || lpad(substr(name, 6), 8, '0'), id FROM c
                """)
            try await connection.execute(
                """
                INSERT INTO campaigns (name, state, lapsed_days_min, channel, template, holdout_percent,
                                       attribution_days, launched_at)
                VALUES ('Held', 'running', 90, 'email', 'back', 0, 365, '2026-10-01T00:00:00Z')
                """)
            try await connection.execute(
                """
                INSERT INTO campaign_recipients (campaign_id, customer_id, grp, entered_at, attribution_ends_at,
                                                 prior_average_minor, contacted_at)
                SELECT k.id, c.id, 'treated', k.launched_at, k.launched_at + interval '365 days', 0, k.launched_at
                FROM campaigns k, customers c
                """)
        }
    }
}
