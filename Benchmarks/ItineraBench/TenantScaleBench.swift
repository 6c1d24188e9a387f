import Foundation
import Itinera
import Logging

/// Many tenants in one cluster: the tenant read and order ingest with every request for a tenant
/// drawn at random from all of them, at each tenant count of one run; the database backends'
/// memory after each; and `itinera migrate` over them (an add-column migration at the count given,
/// then an up-to-date cluster at the end).
extension ItineraBench {
    func measureTenantScale(
        client: PQPool, server: PQPool, migrations: MigrationSet, embedded: EmbeddedPostgres, logger: Logger
    ) async throws {
        var lines: [String] = [] {
            didSet { Self.emit(lines.last ?? "") }
        }
        lines.append("## Tenants in one cluster")
        lines.append("")
        lines.append(
            "Each request is for a tenant drawn at random from all of them (its owner's session); "
                + "\(connections) connections, median of \(rounds) rounds of \(duration) s (the reads, then the ingest), "
                + "after one uncounted pass of each over every tenant; the server has \(serverConnections) database "
                + "connections at work and at most \(serverPlaces ?? serverConnections) open, and one works in at most "
                + "\(connectionTenants) tenants' schemas, and work for a tenant waits at most \(affinityPatienceMs) ms "
                + "for one of its own connections. The pool columns count, over the measured reads, the "
                + "requests that waited that long and took another tenant's connection, and the connections "
                + "replaced for passing their tenant budget; the CPU column, the CPU time a measured read took "
                + "in this process (the server; the load is wrk's) and in the cluster's processes.")
        lines.append("")
        lines.append(
            "| tenants | added in | tenant read p50 / p99 | req/s | failed | pool: took another's / replaced | read CPU: server / database, blocks read | order ingest p50 / p99 | req/s | failed | backends' RSS (anon) median / max |"
        )
        lines.append("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        var current = migrations
        // A kept cluster (--cluster) holds the tenants of earlier runs; their owners' tokens are beside it.
        let kept = cluster.map { URL(fileURLWithPath: $0).appendingPathComponent("bench-tokens.txt") }
        var tokens =
            kept.flatMap { try? String(contentsOf: $0, encoding: .utf8) }.map {
                $0.split(separator: "\n").map(String.init)
            } ?? []
        var migrateLines: [String] = []
        var reads: [Int: Wrk.Result] = [:]
        for count in scaleCounts {
            let started = ContinuousClock.now
            let provisioner = TenantProvisioner(
                client: client, migrations: current, sessionLifetime: .seconds(86_400), logger: logger)
            tokens += try await populate(
                to: count, from: tokens.count, provisioner: provisioner, hash: "x", prefix: "scale")
            if let kept { try Data(tokens.joined(separator: "\n").utf8).write(to: kept) }
            let added = ContinuousClock.now - started
            if count == addColumnAt {
                // A new tenant migration, as an upgrade would bring: one column on a table every
                // request path uses, over every tenant so far.
                current = try MigrationSet(
                    control: migrations.control,
                    tenant: migrations.tenant + [
                        Migration(
                            scope: .tenant, version: migrations.tenant.count + 1, name: "bench_add_column",
                            sql: "ALTER TABLE customers ADD COLUMN bench_note text;")
                    ])
                let migrating = ContinuousClock.now
                let report = try await Migrator(client: client, migrations: current, logger: logger).run(jobs: 4)
                let took = ContinuousClock.now - migrating
                migrateLines.append(
                    "| an add-column migration over \(count) tenants | \(String(format: "%.1f s", took.milliseconds / 1000)) | \(report.tenants.count) tenants migrated, \(report.failedTenants.count) failed |"
                )
            }
            var tenantReads: [Wrk.Result] = []
            var ingests: [Wrk.Result] = []
            let list = try Wrk.tokenTable(Array(tokens.prefix(count)))
            defer { try? FileManager.default.removeItem(atPath: list) }
            // The server as it runs once it has seen every tenant: an order for each, then (after the
            // settle, whose VACUUM sends the backends fresh statistics) a read for each, uncounted.
            // The reads are measured on the settled database at every count; the ingest after them,
            // as its writes leave work (dirty pages, analyses) that would fall on the reads.
            let pass = max(3, count / 500)
            _ = try await Wrk.script(
                Wrk.spreadOrders(tokens: list, pick: Wrk.inTurn), port: port, token: nil, seconds: pass,
                connections: connections,
                tolerant: true)
            let settling = ContinuousClock.now
            try await settle(embedded)
            Self.emit("(settled in \(String(format: "%.0f s", (ContinuousClock.now - settling).milliseconds / 1000)))")
            _ = try await Wrk.script(
                Wrk.spreadRead(tokens: list, pick: Wrk.inTurn), port: port, token: nil, seconds: pass,
                connections: connections,
                tolerant: true)
            let (widenedBefore, replacedBefore) = (server.events[.widened], server.events[.replacedForTenants])
            let costBefore = try await ReadCost.now(embedded)
            for _ in 0..<rounds {
                tenantReads.append(
                    try await Wrk.script(
                        Wrk.spreadRead(tokens: list), port: port, token: nil, seconds: duration,
                        connections: connections, tolerant: true))
            }
            let cost = try await ReadCost.now(embedded) - costBefore
            let widened = server.events[.widened] - widenedBefore
            let replaced = server.events[.replacedForTenants] - replacedBefore
            let requests = tenantReads.reduce(0) { $0 + $1.requests }
            for _ in 0..<rounds {
                ingests.append(
                    try await Wrk.script(
                        Wrk.spreadOrders(tokens: list), port: port, token: nil, seconds: duration,
                        connections: connections, tolerant: true))
            }
            let read = Wrk.median(tenantReads)
            let ingest = Wrk.median(ingests)
            reads[count] = read
            let memory = try await backendMemory(embedded)
            lines.append(
                "| \(count) | \(String(format: "%.0f s", added.milliseconds / 1000)) | \(Self.format(read.p50)) / \(Self.format(read.p99)) "
                    + "| \(Int(read.requestsPerSecond)) | \(read.failed) "
                    + "| \(String(format: "%.2f%%", 100 * Double(widened) / Double(max(1, requests)))) / \(replaced) "
                    + "| \(cost.perRequest(requests)) "
                    + "| \(Self.format(ingest.p50)) / \(Self.format(ingest.p99)) "
                    + "| \(Int(ingest.requestsPerSecond)) | \(ingest.failed) | \(memory) |")
        }
        if let first = scaleCounts.first, let last = scaleCounts.last, let low = reads[first], let high = reads[last] {
            lines.append("")
            lines.append(
                "Tenant read p99 at \(last) tenants ÷ at \(first): "
                    + String(format: "%.2f", high.p99 / low.p99) + ".")
        }
        let migrating = ContinuousClock.now
        let report = try await Migrator(client: client, migrations: current, logger: logger).run(jobs: 4)
        let took = ContinuousClock.now - migrating
        migrateLines.append(
            "| `migrate` of an up-to-date cluster of \(tokens.count) tenants | \(String(format: "%.2f s", took.milliseconds / 1000)) | \(report.tenants.count) tenants changed |"
        )
        let size: Int64 = try await embedded.withSuperuser(database: EmbeddedPostgres.applicationDatabase) {
            connection in
            let rows = try await connection.query("SELECT pg_database_size(current_database())", logger: logger)
            return try rows.first?.decode(Int64.self) ?? 0
        }
        lines.append("")
        lines.append("| migration | took | what |")
        lines.append("| --- | ---: | --- |")
        for line in migrateLines { lines.append(line) }
        lines.append("")
        lines.append("The database with \(tokens.count) tenants: \(size / 1_048_576) MB.")
    }

    /// The resident anonymous memory of the server's database backends (median / max; the bench's own
    /// connections are named `itinera-bench`), read from
    /// /proc as this machine's root or the cluster's owner may.
    func backendMemory(_ embedded: EmbeddedPostgres) async throws -> String {
        let pids = try await embedded.withSuperuser(database: EmbeddedPostgres.applicationDatabase) { connection in
            try await connection.query(
                """
                SELECT pid FROM pg_stat_activity
                WHERE backend_type = 'client backend' AND application_name = 'itinera'
                """, logger: Logger(label: "bench")
            ).collect().map { try $0.decode(Int32.self) }
        }
        let sizes = pids.compactMap { pid -> Double? in
            guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
                let line = status.split(separator: "\n").first(where: { $0.hasPrefix("RssAnon:") }),
                let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "")
            else { return nil }
            return kilobytes / 1024
        }
        guard !sizes.isEmpty else { return "–" }
        return String(format: "%.0f / %.0f MB (%d backends)", percentile(sizes, 50), sizes.max() ?? 0, sizes.count)
    }
}

/// CPU time (user and system) of this process and of the cluster's processes, from /proc, and
/// the blocks the database read from outside its shared buffers.
struct ReadCost {
    var process: Double
    var database: Double
    var blocksRead: Int64

    static func - (lhs: ReadCost, rhs: ReadCost) -> ReadCost {
        ReadCost(
            process: lhs.process - rhs.process, database: lhs.database - rhs.database,
            blocksRead: lhs.blocksRead - rhs.blocksRead)
    }

    /// The time per request in microseconds, as "server / database", and the blocks read per request.
    func perRequest(_ requests: Int) -> String {
        let count = Double(max(1, requests))
        return String(
            format: "%.0f / %.0f µs, %.2f blocks read", process / count * 1e6, database / count * 1e6,
            Double(blocksRead) / count)
    }

    /// Now: this process, and every process of the cluster (the backends, the autovacuum workers,
    /// the checkpointer and the rest; a backend that ended since the last reading is not counted).
    static func now(_ embedded: EmbeddedPostgres) async throws -> ReadCost {
        let rows = try await embedded.withSuperuser(database: EmbeddedPostgres.applicationDatabase) { connection in
            try await connection.query(
                """
                SELECT pid, (SELECT blks_read FROM pg_stat_database WHERE datname = current_database())
                FROM pg_stat_activity WHERE pid <> pg_backend_pid()
                """, logger: Logger(label: "bench")
            ).collect().map { try $0.decode((Int32, Int64).self) }
        }
        let (pids, blocks) = (rows.map(\.0), rows.first?.1 ?? 0)
        return ReadCost(
            process: seconds(of: "self"), database: pids.reduce(0) { $0 + seconds(of: "\($1)") }, blocksRead: blocks)
    }

    /// utime + stime of /proc/<pid>/stat, fields 14 and 15 (after the command name in parentheses).
    static func seconds(of pid: String) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}

extension Wrk {
    /// A Lua file defining `tokens`, the list a spread script draws from.
    static func tokenTable(_ tokens: [String]) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("itinera-tokens-\(UUID()).lua").path
        let body = "tokens = {\n" + tokens.map { "\"\($0)\"," }.joined(separator: "\n") + "\n}\n"
        try Data(body.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    static let spreadPrelude = """
        local counter = 0
        local thread_id = 0
        setup = function(thread) thread:set("id", thread_id); thread_id = thread_id + 1 end
        init = function(args) math.randomseed(os.time() + id * 7919) end

        """

    /// The next tenant in turn (wrk's two threads take every other one).
    static let inTurn = "(counter * 2 + id) % #tokens + 1"

    /// GET /v1/tenant for a random tenant each time (or the one `pick` names).
    static func spreadRead(tokens: String, pick: String = "math.random(#tokens)") -> String {
        "dofile(\"\(tokens)\")\n" + spreadPrelude + """
            request = function()
              counter = counter + 1
              return wrk.format("GET", "/v1/tenant", {["Authorization"] = "Bearer " .. tokens[\(pick)]})
            end

            """
    }

    /// POST /v1/orders for a random tenant each time (or the one `pick` names), with a fresh
    /// Idempotency-Key.
    static func spreadOrders(tokens: String, pick: String = "math.random(#tokens)") -> String {
        "dofile(\"\(tokens)\")\n" + spreadPrelude + """
            request = function()
              counter = counter + 1
              local phone = string.format("139%08d", math.random(0, 999))
              local body = '{"customer":{"phone":"' .. phone .. '"},"amount_minor":12800,"currency":"CNY",' ..
                '"product":{"name":"Day ticket","category":"ticket"},"ordered_at":"2026-11-01T08:00:00Z"}'
              return wrk.format("POST", "/v1/orders", {
                ["Content-Type"] = "application/json",
                ["Idempotency-Key"] = string.format("s-%d-%d-%d", id, counter, math.random(1, 1000000000)),
                ["Authorization"] = "Bearer " .. tokens[\(pick)],
              }, body)
            end

            """
    }
}
