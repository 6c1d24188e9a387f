import Foundation
import Itinera
import Logging
import PostgresNIO

extension ItineraBench {
    /// Loyalty: re-evaluating every member of a programme when its tiers change, and previewing the
    /// change, over `loyaltyMembers` members and five orders each, next to one hand-written SQL
    /// statement doing the same work on the same data in the same run.
    func measureLoyalty(
        client: PQPool,
        migrations: MigrationSet,
        embedded: EmbeddedPostgres,
        logger: Logger
    ) async throws {
        let (tenant, _) = try await keyedTenant(
            slug: "loyalty", scopes: ["loyalty:read"], client: client, migrations: migrations, logger: logger)
        let token = tenant.session.value
        let schema = tenant.tenant.identity.schema
        var lines: [String] = [] {
            didSet { Self.emit(lines.last ?? "") }
        }
        lines.append("")
        lines.append("## Loyalty")

        let program = try await Curl.json(
            method: "POST", port: port, path: "/v1/programs",
            body: #"{"name": "Club", "points_per_currency_unit": 1, "tier_window": {"kind": "calendar_year"}}"#,
            token: token)
        guard program.status == 201 else { throw BenchError("the programme answered \(program.status)") }

        // A million customers with five orders each over this year and next (those after now are
        // outside the window), one in twenty cancelled; every customer a member.
        let members = loyaltyMembers
        let started = Date()
        try await embedded.withSuperuser(database: EmbeddedPostgres.applicationDatabase) { connection in
            for statement in [
                "SET search_path = \(schema)",
                "SET work_mem = '256MB'",
                "INSERT INTO customers (name) SELECT NULL FROM generate_series(1, \(members))",
                """
                INSERT INTO orders (customer_id, amount_minor, currency, product_name, ordered_at, status)
                SELECT (g % \(members)) + 1, 100000 + (hashint4(g) & 1023) * 1000, 'CNY', 'Trip',
                       date_trunc('year', now()) + (hashint4(g * 7) & 32767) * interval '15 minutes',
                       CASE WHEN g % 20 = 0 THEN 'cancelled' ELSE 'confirmed' END
                FROM generate_series(1, \(members * 5)) g
                """,
                """
                INSERT INTO members (program_id, customer_id, card_number)
                SELECT 1, id, '88' || lpad(id::text, 10, '0') FROM customers
                """,
            ] {
                try await connection.execute(PQStatement(unsafeSQL: statement), logger: logger)
            }
        }
        try await settle(embedded)
        lines.append("")
        lines.append(
            "\(members) members, \(members * 5) orders (made in \(Int(Date().timeIntervalSince(started))) s), calendar-year window, one programme. Each figure is the whole HTTPS request (`curl`), server and PostgreSQL on the same two cores."
        )
        lines.append("")
        lines.append("| what | seconds | members moved |")
        lines.append("| --- | ---: | ---: |")

        func tiers(diamondAverage: Int) -> String {
            """
            {"tiers": [
              {"code": "diamond", "name": "Diamond", "rank": 3, "min_orders": 3, "min_average_order_minor": \(diamondAverage)},
              {"code": "gold", "name": "Gold", "rank": 2, "min_orders": 2, "min_average_order_minor": 300000, "max_average_order_minor": 500000},
              {"code": "potential", "name": "Potential", "rank": 1, "min_orders": 1, "max_average_order_minor": 300000}]}
            """
        }
        func moved(_ body: String) -> Int {
            var total = 0
            var rest = Substring(body)
            while let range = rest.range(of: "\"count\":") {
                rest = rest[range.upperBound...]
                total += Int(rest.prefix { $0.isNumber }) ?? 0
            }
            return total
        }
        func row(_ what: String, _ result: Curl.Result) throws {
            guard result.status == 200 else { throw BenchError("\(what) answered \(result.status): \(result.body)") }
            lines.append("| \(what) | \(String(format: "%.2f", result.seconds)) | \(moved(result.body)) |")
        }
        /// `PUT …/tiers` and its re-evaluation job, from the request until the job has succeeded
        /// (polled every 100 ms, so the figure may be up to 0.1 s long); also how many different
        /// progress readings the polls saw.
        func replace(_ body: String) async throws -> (Curl.Result, readings: Int) {
            let started = ContinuousClock.now
            let put = try await Curl.json(
                method: "PUT", port: port, path: "/v1/programs/1/tiers", body: body, token: token)
            guard put.status == 202,
                let object = try JSONSerialization.jsonObject(with: Data(put.body.utf8)) as? [String: Any],
                let job = (object["reevaluation"] as? [String: Any])?["id"] as? String
            else { throw BenchError("PUT …/tiers answered \(put.status): \(put.body)") }
            var readings: Set<Int> = []
            while true {
                let polled = try await Curl.run(["https://127.0.0.1:\(port)/v1/jobs/\(job)"], token: token)
                let state = try JSONSerialization.jsonObject(with: Data(polled.body.utf8)) as? [String: Any] ?? [:]
                if let done = (state["progress"] as? [String: Any])?["done"] as? Int { readings.insert(done) }
                switch state["state"] as? String {
                case "succeeded":
                    let result = try JSONSerialization.data(withJSONObject: state["result"] ?? [:])
                    return (
                        Curl.Result(
                            status: 200, seconds: (ContinuousClock.now - started).milliseconds / 1000,
                            body: String(decoding: result, as: UTF8.self)), readings.count
                    )
                case "queued", "running": try await Task.sleep(for: .milliseconds(100))
                default: throw BenchError("the re-evaluation job ended \(polled.body)")
                }
            }
        }
        let template = tiers(diamondAverage: 500_000)
        try row(
            "`POST …/tiers/preview`, the template, no member evaluated yet",
            try await Curl.json(
                method: "POST", port: port, path: "/v1/programs/1/tiers/preview", body: template, token: token))
        let first = try await replace(template)
        try row("`PUT …/tiers` and its job, the template: every member evaluated, most move, history written", first.0)
        try await settle(embedded)
        try row(
            "`PUT …/tiers` and its job again, unchanged: every member evaluated, none moves",
            try await replace(template).0)
        let lower = tiers(diamondAverage: 480_000)
        try row(
            "`POST …/tiers/preview`, Diamond's average 4,800 instead of 5,000",
            try await Curl.json(
                method: "POST", port: port, path: "/v1/programs/1/tiers/preview", body: lower, token: token))

        // The same change by hand: one statement, the tiers written into it, rolled back; timed with
        // PostgreSQL's default plan and with the planner settings the job uses, and compared with the
        // faster of the two.
        func handWritten(settings: [String]) async throws -> Double {
            let started = Date()
            try await embedded.withSuperuser(database: EmbeddedPostgres.applicationDatabase) { connection in
                for statement in ["BEGIN", "SET LOCAL search_path = \(schema)", "SET LOCAL work_mem = '256MB'"]
                    + settings + [
                        Self.handWrittenReevaluation, "ROLLBACK",
                    ]
                {
                    try await connection.execute(PQStatement(unsafeSQL: statement), logger: logger)
                }
            }
            return Date().timeIntervalSince(started)
        }
        let defaultPlan = try await handWritten(settings: [])
        let jobPlan = try await handWritten(settings: [
            "SET LOCAL max_parallel_workers_per_gather = 0", "SET LOCAL jit = off", "SET LOCAL enable_hashagg = off",
            "SET LOCAL enable_hashjoin = off",
        ])
        let handSeconds = min(defaultPlan, jobPlan)
        let (put, readings) = try await replace(lower)
        try row("`PUT …/tiers` and its job, Diamond's average 4,800: every member evaluated", put)
        lines.append(
            "| one hand-written statement doing the same (window aggregate, tiers as a `CASE`, changed members updated, history inserted), on a superuser connection, PostgreSQL's default plan | \(String(format: "%.2f", defaultPlan)) | |"
        )
        lines.append(
            "| the same statement with the job's planner settings (no parallel workers, no `jit`, no hash aggregation or hash join) | \(String(format: "%.2f", jobPlan)) | |"
        )
        lines.append("")
        lines.append(
            "`PUT` and its job ÷ the faster hand-written: \(String(format: "%.2f", put.seconds / handSeconds))×. The job's progress, polled every 100 ms, showed \(readings) different member counts on the way."
        )
        try await measureOrderTimeEvaluation(
            client: client, migrations: migrations, embedded: embedded, logger: logger
        ) { lines.append($0) }
    }

    /// What loyalty adds to `POST /v1/orders`: order ingest over one connection (`wrk -c1`) for
    /// customers found by phone, in a tenant without a programme and in one where every customer is
    /// a member of one (so each order earns and is evaluated). The two tenants' rounds alternate, so
    /// that whatever else the machine does in the meantime (autovacuum after the re-evaluations, a
    /// checkpoint) falls on both alike, after a first round of each that is not counted; the median
    /// of at least five rounds each, and the median of the rounds' differences.
    func measureOrderTimeEvaluation(
        client: PQPool, migrations: MigrationSet, embedded: EmbeddedPostgres, logger: Logger,
        emit: (String) -> Void
    ) async throws {
        let customers = 100_000
        func tenant(_ slug: String, members: Bool) async throws -> (key: APIKeyToken, schema: String) {
            let (tenant, key) = try await keyedTenant(
                slug: slug, scopes: ["customers:read", "customers:write", "orders:write"], client: client,
                migrations: migrations, logger: logger)
            var statements = [
                "SET search_path = \(tenant.tenant.identity.schema)",
                "INSERT INTO customers (name) SELECT NULL FROM generate_series(1, \(customers))",
                """
                INSERT INTO customer_identities (kind, source, value, customer_id)
                SELECT 'phone', '', '+86139' || lpad(id::text, 8, '0'), id FROM customers
                """,
            ]
            if members {
                let program = try await Curl.json(
                    method: "POST", port: port, path: "/v1/programs",
                    body: #"{"name": "Club", "points_per_currency_unit": 1, "tier_window": {"kind": "calendar_year"}}"#,
                    token: tenant.session.value)
                guard program.status == 201 else { throw BenchError("the programme answered \(program.status)") }
                statements += [
                    """
                    INSERT INTO members (program_id, customer_id, card_number)
                    SELECT 1, id, '88' || lpad(id::text, 10, '0') FROM customers
                    """,
                    "UPDATE program_card_sequences SET last_number = \(customers)",
                ]
            }
            try await embedded.withSuperuser(database: EmbeddedPostgres.applicationDatabase) { connection in
                for statement in statements {
                    try await connection.execute(PQStatement(unsafeSQL: statement), logger: logger)
                }
            }
            return (key, tenant.tenant.identity.schema)
        }
        let plain = try await tenant("orders-plain", members: false)
        let loyal = try await tenant("orders-loyal", members: true)
        var without: [Wrk.Result] = []
        var with: [Wrk.Result] = []
        // Everything once; then before each round only the two tenants and the control schema, so
        // that a pass over the tables of the tenants measured before does not leave the caches cold.
        try await settle(embedded)
        func ingest(_ tenant: (key: APIKeyToken, schema: String), round: Int) async throws -> Wrk.Result {
            try await settle(embedded, schemas: [plain.schema, loyal.schema, "itinera"])
            return try await Wrk.script(
                Self.orderScript(customers: customers, round: round, token: tenant.key.value), port: port, token: nil,
                seconds: duration, connections: 1)
        }
        // A first round in each tenant, not counted, warms its caches.
        _ = try await ingest(plain, round: 0)
        _ = try await ingest(loyal, round: 0)
        let orderRounds = max(rounds, 5)
        for round in 1...orderRounds {
            without.append(try await ingest(plain, round: round))
            with.append(try await ingest(loyal, round: round))
        }
        func median(_ results: [Wrk.Result]) -> Wrk.Result { results.sorted { $0.p50 < $1.p50 }[results.count / 2] }
        let (plainMedian, loyalMedian) = (median(without), median(with))
        // Each loyal round against the plain round just before it: what the machine was doing then
        // weighs on both.
        let differences = zip(with, without).map { $0.p50 - $1.p50 }.sorted()
        emit("")
        emit(
            "Order ingest with and without loyalty: two tenants of \(customers) customers found by phone, one connection (`wrk -t1 -c1 -d\(duration)s`), after a round in each not counted, \(orderRounds) rounds alternating; median round by p50."
        )
        emit("")
        emit("| order path | orders/s | p50 ms | p99 ms | p50 of each round |")
        emit("| --- | ---: | ---: | ---: | --- |")
        for (what, result, all) in [
            ("no programme", plainMedian, without),
            ("every customer a member: earn, figures, evaluation", loyalMedian, with),
        ] {
            emit(
                "| \(what) | \(Int(result.requestsPerSecond)) | \(String(format: "%.2f", result.p50)) | \(String(format: "%.2f", result.p99)) | \(all.map { String(format: "%.2f", $0.p50) }.joined(separator: ", ")) |"
            )
        }
        emit("")
        emit(
            "Loyalty adds \(String(format: "%.2f", differences[differences.count / 2])) ms at p50: the median of the rounds' differences (\(differences.map { String(format: "%.2f", $0) }.joined(separator: ", "))); the medians differ by \(String(format: "%.2f", loyalMedian.p50 - plainMedian.p50)) ms."
        )
    }

    /// Diamond at an average of 4,800: what `PUT /v1/programs/1/tiers` does to the members, written by
    /// hand for this one tier list and the immediate policy.
    static let handWrittenReevaluation = """
        WITH figures AS (
            SELECT m.id, m.tier_code, coalesce(o.n, 0) AS n, coalesce(o.total, 0) AS total, o.last, m.points_balance
            FROM members m
            LEFT JOIN (SELECT customer_id, count(*) AS n, sum(amount_minor) AS total, max(ordered_at) AS last
                       FROM orders
                       WHERE status IN ('confirmed', 'completed') AND ordered_at >= date_trunc('year', now())
                         AND ordered_at <= now()
                       GROUP BY customer_id) o ON o.customer_id = m.customer_id
            WHERE m.program_id = 1
        ), decided AS (
            SELECT f.*, CASE WHEN n >= 3 AND total >= 480000 * n THEN 'diamond'
                             WHEN n >= 2 AND total >= 300000 * n AND total <= 500000 * n THEN 'gold'
                             WHEN n >= 1 AND total <= 300000 * n THEN 'potential' END AS new_tier
            FROM figures f
        ), changed AS (
            UPDATE members m SET tier_code = d.new_tier, tier_since = now()
            FROM decided d WHERE m.id = d.id AND m.tier_code IS DISTINCT FROM d.new_tier
            RETURNING d.*
        )
        INSERT INTO tier_history (member_id, from_tier, to_tier, source, figures)
        SELECT id, tier_code, new_tier, 'rule_change',
               jsonb_build_object('orders', n, 'total_spent_minor', total, 'last_order_at', last, 'points', points_balance)
        FROM changed
        """
}
