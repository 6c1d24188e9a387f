import Foundation
import Itinera
import Logging
import PostgresNIO

extension ItineraBench {
    /// The customer data platform: a bulk import of `importOrders` orders, the customer view in a
    /// tenant holding them, and order ingest over HTTPS with an API key, each next to `pgbench`
    /// running the same SQL on the same PostgreSQL.
    func measureCustomers(
        client: PQPool,
        migrations: MigrationSet,
        embedded: EmbeddedPostgres,
        logger: Logger
    ) async throws {
        let (tenant, key) = try await keyedTenant(
            slug: "customers", scopes: ["customers:read", "customers:write", "orders:write"], client: client,
            migrations: migrations, logger: logger)
        var lines: [String] = [] {
            didSet { Self.emit(lines.last ?? "") }
        }
        lines.append("")
        lines.append("## Customer data platform")

        // Bulk import: `importOrders` orders of `importCustomers` customers, one NDJSON file, over HTTPS.
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("itinera-import-\(getpid()).ndjson")
        defer { try? FileManager.default.removeItem(at: file) }
        let bytes = try Self.writeOrders(count: importOrders, customers: importCustomers, to: file)
        try await settle(embedded)
        let upload = try await Curl.post(
            port: port, path: "/v1/imports?kind=orders", file: file.path, contentType: "application/x-ndjson",
            token: key.value)
        guard upload.status == 201, upload.body.contains("\"orders_created\":\(importOrders)") else {
            throw BenchError("the import answered \(upload.status): \(upload.body.prefix(500))")
        }
        let timings = Self.importTimings(upload.body)
        lines.append("")
        lines.append(
            "Bulk import of \(importOrders) orders of \(importCustomers) new customers, one \(bytes / 1_000_000) MB NDJSON file, "
                + "`POST /v1/imports?kind=orders` over HTTPS (curl, body streamed): "
                + "**\(Self.format(upload.seconds * 1000, digits: 0)) ms, \(Self.format(Double(importOrders) / upload.seconds, digits: 0)) orders/s**"
                + " (every line checked as `POST /v1/orders` checks it, copied to staging, customers and identities resolved, orders, value figures and tag rules merged set-based, in one transaction). The server's own timing: \(timings)."
        )
        try await settle(embedded)

        // The customer view in a tenant with those orders.
        let schema = tenant.tenant.identity.schema
        let views = try await Wrk.script(
            """
            request = function()
              return wrk.format("GET", "/v1/customers/" .. math.random(1, \(importCustomers)))
            end
            """,
            port: port, token: key.value, seconds: duration, connections: 1)
        let viewSQL = try await PGBench.custom(
            embedded: embedded,
            script: """
                \\set id random(1, \(importCustomers))
                BEGIN;
                SELECT set_config('search_path', '\(schema)', true), set_config('role', '\(schema)', true);
                \(Self.customerViewSQL)
                COMMIT;
                """,
            seconds: duration, connections: 1)
        lines.append("")
        lines.append("Customer view with \(importOrders) orders in the tenant, one connection (latency, not load):")
        lines.append("")
        lines.append("| what | p50 | p99 | per second |")
        lines.append("| --- | ---: | ---: | ---: |")
        lines.append(
            "| `GET /v1/customers/{random id}` over HTTPS, API key | \(Self.format(views.p50)) | \(Self.format(views.p99)) | \(Self.format(views.requestsPerSecond, digits: 0)) |"
        )
        lines.append(
            "| `pgbench`: the view's SQL in a transaction entering the tenant | \(Self.format(viewSQL.latency)) | | \(Self.format(viewSQL.tps, digits: 0)) |"
        )

        // Order ingest: new orders of the imported customers, each with its own Idempotency-Key.
        var ingests: [Wrk.Result] = []
        var sqls: [PGBench.Result] = []
        for round in 0..<rounds {
            // Each run starts vacuumed and checkpointed, so autovacuum and checkpoints of the last
            // run's orders do not land in the next.
            try await settle(embedded)
            ingests.append(
                try await Wrk.script(
                    Self.orderScript(customers: importCustomers, round: round, token: key.value), port: port,
                    token: nil,
                    seconds: duration, connections: connections))
            try await settle(embedded)
            sqls.append(
                try await PGBench.custom(
                    embedded: embedded,
                    script: Self.orderSQL(schema: schema, keyPrefix: key.prefix, customers: importCustomers),
                    seconds: duration, connections: connections))
        }
        let ingest = Wrk.median(ingests)
        let sql = sqls.sorted { $0.tps < $1.tps }[sqls.count / 2]
        let perRound = zip(ingests, sqls).map { String(format: "%.0f%%", $0.requestsPerSecond / $1.tps * 100) }
        lines.append("")
        lines.append(
            "Order ingest, median of \(rounds) alternating rounds of \(duration) s, \(connections) connections; HTTPS ÷ pgbench per round: "
                + perRound.joined(separator: ", ") + "."
        )
        lines.append("")
        lines.append("| what | orders/s | p50 | p99 |")
        lines.append("| --- | ---: | ---: | ---: |")
        lines.append(
            "| `POST /v1/orders` over HTTPS, API key, Idempotency-Key, existing customer by phone | \(Self.format(ingest.requestsPerSecond, digits: 0)) | \(Self.format(ingest.p50)) | \(Self.format(ingest.p99)) |"
        )
        lines.append(
            "| `pgbench`, the same statements in the same transaction (key lookup entering the tenant; idempotency claim with the identity lookup locking the customer; order insert with value figures, tag rules and the stored answer) | \(Self.format(sql.tps, digits: 0)) | \(Self.format(sql.latency)) | |"
        )
        lines.append("")
        lines.append(
            "Order ingest as a share of pgbench: \(String(format: "%.1f", ingest.requestsPerSecond / sql.tps * 100))%.")
    }

    /// The read and merge times an import's answer reports.
    static func importTimings(_ body: String) -> String {
        func value(_ name: String) -> String {
            guard let range = body.range(of: "\"\(name)\":") else { return "?" }
            return String(body[range.upperBound...].prefix { $0.isNumber })
        }
        return "reading, checking and copying \(value("read_ms")) ms, merging \(value("merge_ms")) ms"
    }

    /// `count` order lines spread over `customers` phones; returns the file's size.
    static func writeOrders(count: Int, customers: Int, to file: URL) throws -> Int {
        _ = FileManager.default.createFile(atPath: file.path, contents: nil)
        let handle = try FileHandle(forWritingTo: file)
        defer { try? handle.close() }
        var chunk = ""
        var bytes = 0
        let categories = ["family", "ticket", "cruise", "hotel", "tour"]
        for index in 0..<count {
            let customer = index % customers + 1
            chunk +=
                #"{"customer":{"phone":"139\#(String(format: "%08d", customer))"},"external_id":"IMP-\#(index)","amount_minor":\#(50_000 + index % 9_973 * 100),"currency":"CNY","product":{"name":"Tour \#(index % 500)","category":"\#(categories[index % 5])"},"destination":"Sanya","channel":"ota","ordered_at":"2026-\#(String(format: "%02d", index % 9 + 1))-\#(String(format: "%02d", index % 28 + 1))T08:00:00Z","party_size":2}"#
                + "\n"
            if chunk.utf8.count > 1 << 20 {
                bytes += chunk.utf8.count
                handle.write(Data(chunk.utf8))
                chunk = ""
            }
        }
        bytes += chunk.utf8.count
        handle.write(Data(chunk.utf8))
        return bytes
    }

    /// The customer view's statement, as `CustomerStore` runs it, for `pgbench` (`:id` is the customer).
    static let customerViewSQL = """
        SELECT c.id, c.name, c.gender, c.birth_year, c.region, c.city, c.language, c.attributes::text, c.order_count, c.total_spent_minor, c.first_order_at, c.last_order_at, c.rfm_recency, c.rfm_frequency, c.rfm_monetary, c.rfm_segment, c.rfm_computed_at, c.created_at, c.updated_at, (SELECT coalesce(json_agg(json_build_object('kind', i.kind, 'source', i.source, 'value', i.value) ORDER BY i.kind, i.source, i.value), '[]') FROM customer_identities i WHERE i.customer_id = c.id)::text, (SELECT coalesce(json_agg(json_build_object('channel', k.channel, 'granted', k.granted, 'source', k.source, 'recorded_at', extract(epoch FROM k.recorded_at)) ORDER BY k.channel), '[]') FROM consents k WHERE k.customer_id = c.id)::text, ARRAY(SELECT t.tag FROM customer_tags t WHERE t.customer_id = c.id ORDER BY t.tag), c.erased_at FROM customers c WHERE c.id = :id;
        """

    /// wrk's script for new orders of existing customers, each with a fresh key and external id.
    /// (A request with its own headers does not get wrk's `-H` headers, so the token is in the script.)
    static func orderScript(customers: Int, round: Int, token: String) -> String {
        """
        local counter = 0
        local next_thread = 0
        -- Runs in the main state; `thread_id` becomes a global of each thread's own state.
        setup = function(thread)
          next_thread = next_thread + 1
          thread:set("thread_id", next_thread)
        end
        request = function()
          counter = counter + 1
          local key = string.format("w%d-%d-%d", \(round), thread_id, counter)
          local phone = string.format("139%08d", math.random(1, \(customers)))
          local body = string.format('{"customer":{"phone":"%s"},"external_id":"%s","amount_minor":128800,"currency":"CNY","product":{"name":"Bench tour","category":"tour"},"ordered_at":"2026-11-01T08:00:00Z"}', phone, key)
          return wrk.format("POST", "/v1/orders", {["Authorization"] = "Bearer \(token)", ["Content-Type"] = "application/json", ["Idempotency-Key"] = key}, body)
        end
        """
    }

    /// The statements `POST /v1/orders` runs for an existing customer found by phone, in its order,
    /// for `pgbench` (`-M prepared`, as the server prepares each; see `OrderPathStatements`).
    static func orderSQL(schema: String, keyPrefix: String, customers: Int) -> String {
        """
        \\set n random(1, \(customers))
        \\set k random(1, 9000000000000000)
        BEGIN;
        SELECT k.id, k.key_hash, k.scopes, k.expires_at, t.id, t.slug, t.name, t.kind, t.timezone, t.currency, t.state, t.created_at, t.schema_name, t.role_name, t.country, set_config('search_path', t.schema_name, true), set_config('role', t.role_name, true) FROM itinera.api_keys k JOIN itinera.tenants t ON t.id = k.tenant_id WHERE k.prefix = '\(keyPrefix)' AND k.revoked_at IS NULL;
        WITH claim AS (INSERT INTO idempotency_keys (operation, key, request_hash) VALUES ('order.create', 'p' || :k, sha256(:k::text::bytea)) ON CONFLICT DO NOTHING RETURNING true), owners AS (SELECT i.kind, i.source, i.value, c.id FROM customer_identities i JOIN unnest(ARRAY['phone']::text[], ARRAY['']::text[], ARRAY['+86139' || lpad(:n::text, 8, '0')]::text[]) AS w(kind, source, value) ON (i.kind, i.source, i.value) = (w.kind, w.source, w.value) JOIN customers c ON c.id = i.customer_id FOR KEY SHARE OF c) SELECT EXISTS (SELECT FROM claim), o.kind, o.source, o.value, o.id FROM (SELECT) AS one LEFT JOIN owners o ON true;
        WITH inserted AS (INSERT INTO orders (customer_id, external_id, amount_minor, currency, product_name, product_category, product_sku, destination, channel, ordered_at, travel_start, travel_end, party_size, status) VALUES (:n, 'p' || :k, 128800, 'CNY', 'Bench tour', 'tour', NULL, NULL, NULL, '2026-11-01T08:00:00Z', NULL::date, NULL::date, NULL, 'confirmed') ON CONFLICT (external_id) DO NOTHING RETURNING id, customer_id, external_id, amount_minor, currency, product_name, product_category, product_sku, destination, channel, ordered_at, travel_start::text, travel_end::text, party_size, status, cancelled_at, created_at), counted AS (UPDATE customers c SET order_count = c.order_count + 1, total_spent_minor = c.total_spent_minor + o.amount_minor, first_order_at = least(c.first_order_at, o.ordered_at), last_order_at = greatest(c.last_order_at, o.ordered_at), updated_at = now() FROM inserted o WHERE c.id = o.customer_id AND o.status IN ('confirmed', 'completed') RETURNING c.id), tagged AS (INSERT INTO customer_tags (customer_id, tag, source) SELECT o.customer_id, t.name, 'rule' FROM inserted o JOIN tags t ON t.rule_product_category = o.product_category AND (t.rule_destination IS NULL OR lower(t.rule_destination) = lower(o.destination)) WHERE o.status IN ('confirmed', 'completed') ON CONFLICT DO NOTHING RETURNING 1), answered AS (UPDATE idempotency_keys k SET status = 201, response = to_jsonb(o) FROM inserted o WHERE k.operation = 'order.create' AND k.key = 'p' || :k RETURNING 1) SELECT id, customer_id, external_id, amount_minor, currency, product_name, product_category, product_sku, destination, channel, ordered_at, travel_start, travel_end, party_size, status, cancelled_at, created_at FROM inserted;
        COMMIT;
        """
    }
}

/// Uploads a file with `curl` and times the whole exchange.
enum Curl {
    struct Result {
        var status: Int
        var seconds: Double
        var body: String
    }

    static func post(port: Int, path: String, file: String, contentType: String, token: String) async throws
        -> Result
    {
        try await run(
            ["-H", "Content-Type: \(contentType)", "-T", file, "-X", "POST", "https://127.0.0.1:\(port)\(path)"],
            token: token)
    }

    /// Sends a JSON body and times the whole exchange.
    static func json(method: String, port: Int, path: String, body: String, token: String) async throws -> Result {
        try await run(
            [
                "-H", "Content-Type: application/json", "-X", method, "--data-binary", body,
                "https://127.0.0.1:\(port)\(path)",
            ], token: token)
    }

    /// Runs `curl` with `arguments` and a bearer token; the status, the seconds and the body.
    static func run(_ arguments: [String], token: String) async throws -> Result {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("itinera-curl-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        let printed = try await BenchProcess.run(
            "curl",
            ["-sk", "-o", output, "-w", "%{http_code} %{time_total}", "-H", "Authorization: Bearer \(token)"]
                + arguments)
        let parts = printed.split(separator: " ")
        guard parts.count == 2, let status = Int(parts[0]), let seconds = Double(parts[1]) else {
            throw BenchError("curl printed \(printed)")
        }
        return Result(
            status: status, seconds: seconds, body: (try? String(contentsOfFile: output, encoding: .utf8)) ?? "")
    }
}
