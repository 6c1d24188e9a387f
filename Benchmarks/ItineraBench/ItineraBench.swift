import ArgumentParser
import Foundation
import Itinera
import Logging
import PostgresNIO

/// `itinera-bench`: measures provisioning, sign-up and the authenticated tenant read against a real
/// embedded PostgreSQL and a real HTTPS server, with `wrk` and `pgbench` as the outside load.
@main
struct ItineraBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "itinera-bench",
        abstract: "Measure Itinera's foundation: provisioning, sign-up, and the tenant read against its ceilings."
    )

    static func main() async {
        EventLoopExecutor.install()
        await main(nil)
    }

    @Option(help: "HTTPS port of the server under test.")
    var port = 18443

    @Option(help: "Seconds each throughput run lasts.")
    var duration = 15

    @Option(help: "Concurrent keep-alive connections wrk and pgbench use.")
    var connections = 32

    @Option(help: "Seconds of sign-ups over HTTPS at each tenant count.")
    var signUpSeconds = 15

    @Option(help: "Provisioning samples at each tenant count.")
    var provisionSamples = 100

    @Option(help: "Tenant counts to measure at, ascending.")
    var tenantCounts: [Int] = [10, 1000]

    @Option(help: "Alternating rounds of the throughput runs.")
    var rounds = 3

    @Option(
        help:
            "What to measure: foundation (provisioning, sign-up, tenant read), access (API keys), customers (import, customer view, order ingest), loyalty (tier re-evaluation, preview and order ingest with loyalty), loyalty-orders (only the last), delivery (the job queue, webhook deliveries), community (registrations for one popular event), campaigns (a win-back launch over a million customers), care (a risk alert over a million orders), insight (the overview's refresh and reads over a million customers), tenants (not run by default: the tenant read and order ingest spread over 10, 1,000 and 10,000 tenants, backends' memory, migrate over them)."
    )
    var sections: [String] = [
        "foundation", "access", "customers", "loyalty", "delivery", "community", "campaigns", "care", "insight",
    ]

    @Option(help: "Tenant counts of the tenants section, ascending (one run grows through them).")
    var scaleCounts: [Int] = [10, 1_000, 10_000]

    @Option(help: "How many tenants' schemas one of the server's connections works in before it is replaced.")
    var connectionTenants = PQPool.defaultTenants

    @Option(help: "The server's database connections (ITINERA_DB_CONNECTIONS).")
    var serverConnections = 16

    @Option(
        help: "The server's open database connections, at least --server-connections (ITINERA_DB_OPEN_CONNECTIONS).")
    var serverPlaces: Int?

    @Option(help: "How long the server's work for a tenant waits for one of its own connections, in milliseconds.")
    var affinityPatienceMs = 10

    @Option(
        help:
            "A directory for the embedded cluster that outlives the run: the tenants section keeps its tenants' session tokens there and the next run with it starts from them (give --add-column-at 0)."
    )
    var cluster: String?

    @Option(help: "A PostgreSQL setting for the embedded cluster, as name=value (repeatable).")
    var postgresOption: [String] = []

    @Option(help: "The tenant count at which the tenants section times an add-column migration over them.")
    var addColumnAt = 1_000

    @Option(help: "Customers in the insight section (each with five orders).")
    var insightCustomers = 1_000_000

    @Option(help: "Orders the care section's risk alerts search.")
    var careOrders = 1_000_000

    @Option(
        help:
            "With --hold: trip touchpoint rules for the held tenant, each matching every order (run Benchmarks/wrk/orders.lua with TRAVEL=1)."
    )
    var holdTouchpointRules = 0

    @Option(help: "Lapsed customers in the campaign section's audience.")
    var campaignCustomers = 1_000_000

    @Option(help: "The percentage of them with marketing consent (the others are left out by the launch).")
    var campaignConsentPercent = 100

    @Option(
        help:
            "With --hold: customers with the phones of Benchmarks/wrk/orders.lua (run it with PHONES set to the same number), all treated recipients of a running campaign whose window the orders fall in."
    )
    var holdCampaignCustomers = 0

    @Option(help: "Orders in the customer section's bulk import.")
    var importOrders = 1_000_000

    @Option(help: "Customers those orders belong to.")
    var importCustomers = 100_000

    @Option(help: "Members in the loyalty section (each with five orders).")
    var loyaltyMembers = 1_000_000

    @Flag(
        help:
            "Only start the server with one tenant, print its session token and keep serving, for probing with wrk by hand."
    )
    var hold = false

    func run() async throws {
        let logger = {
            var logger = Logger(label: "itinera-bench")
            logger.logLevel = .warning
            return logger
        }()
        EmbeddedPostgres.reapAbandoned(prefix: "itinera-bench-", logger: logger)
        let directory = URL(fileURLWithPath: cluster ?? "/tmp/itinera-bench-\(getpid())")
        let embedded = try {
            var embedded = try EmbeddedPostgres(directory: directory, durability: .durable, logger: logger)
            embedded.extraOptions = postgresOption.map { "-c \($0)" }
            return embedded
        }()
        try embedded.start()
        defer {
            embedded.stop()
            if cluster == nil { try? FileManager.default.removeItem(at: directory) }
        }
        try await embedded.prepareApplicationDatabase()
        let settings = embedded.applicationSettings
        let migrations = try MigrationSet.embedded()
        try await withRunningClient(try settings.makeClient(connections: 2, logger: logger)) { client in
            _ = try await Migrator(client: client, migrations: migrations, logger: logger).run()
        }

        var configuration = ServerConfiguration()
        configuration.port = port
        configuration.benchmarkRoutes = true
        configuration.databaseConnections = serverConnections
        // The delivery section's receiver is on this machine.
        configuration.webhooks.allowPrivate = true
        // The throughput runs measure the stack, not the rate limiter's refusals.
        configuration.keyRateLimit = RateLimiter.Limit(perSecond: 1e9, burst: 1e9)
        configuration.tenantRateLimit = RateLimiter.Limit(perSecond: 1e9, burst: 1e9)
        let tls = try TLSIdentity.serverConfiguration(
            certificatePath: nil,
            keyPath: nil,
            dataDirectory: directory,
            logger: logger
        )
        let serverConfiguration = configuration
        let (ready, readyContinuation) = AsyncStream<Void>.makeStream()
        let serverPool = PQPool(
            keywords: PQPool.keywords(for: settings), maximum: configuration.databaseConnections,
            places: serverPlaces, tenants: connectionTenants, affinityPatience: .milliseconds(affinityPatienceMs))
        let app = try buildApplication(
            ApplicationParts(
                configuration: configuration,
                client: serverPool,
                migrations: migrations,
                logger: logger
            ),
            tls: tls,
            migrateOnStart: false,
            onServerRunning: { _ in readyContinuation.yield() }
        )
        let server = Task { try await app.run() }
        do {
            for await _ in ready { break }
            // Named apart from the server's connections, whose backends the tenants section measures.
            let benchClient = PQPool(
                keywords: PQPool.keywords(for: settings, applicationName: "itinera-bench"), maximum: 4)
            try await withRunningClient(benchClient) { client in
                if hold {
                    let provisioner = TenantProvisioner(
                        client: client, migrations: migrations, sessionLifetime: .seconds(86_400), logger: logger)
                    let result = try await provisioner.provision(Self.signUp(slug: "held"), ownerPasswordHash: "x")
                    if holdCampaignCustomers > 0 {
                        try await Self.holdCampaign(
                            customers: holdCampaignCustomers, tenant: result.tenant.identity, client: client,
                            logger: logger)
                    }
                    if holdTouchpointRules > 0 {
                        try await Self.holdTouchpoints(
                            rules: holdTouchpointRules, tenant: result.tenant.identity, client: client, logger: logger)
                    }
                    Self.emit("TOKEN \(result.session.value)")
                    try await Task.sleep(for: .seconds(86_400))
                }
                if sections.contains("foundation") {
                    try await measure(client: client, migrations: migrations, embedded: embedded, logger: logger)
                }
                if sections.contains("access") {
                    try await measureAccess(client: client, migrations: migrations, embedded: embedded, logger: logger)
                }
                if sections.contains("customers") {
                    try await measureCustomers(
                        client: client, migrations: migrations, embedded: embedded, logger: logger)
                }
                if sections.contains("delivery") {
                    try await measureDelivery(
                        client: client, migrations: migrations, embedded: embedded, configuration: serverConfiguration,
                        logger: logger)
                }
                if sections.contains("community") {
                    try await measureCommunity(
                        client: client, migrations: migrations, embedded: embedded, logger: logger)
                }
                if sections.contains("campaigns") {
                    try await measureCampaigns(
                        client: client, migrations: migrations, embedded: embedded, logger: logger)
                }
                if sections.contains("insight") {
                    try await measureInsight(
                        client: client, migrations: migrations, embedded: embedded, logger: logger)
                }
                if sections.contains("tenants") {
                    try await measureTenantScale(
                        client: client, server: serverPool, migrations: migrations, embedded: embedded,
                        logger: logger)
                }
                if sections.contains("care") {
                    try await measureCare(client: client, migrations: migrations, embedded: embedded, logger: logger)
                }
                if sections.contains("loyalty") {
                    try await measureLoyalty(client: client, migrations: migrations, embedded: embedded, logger: logger)
                } else if sections.contains("loyalty-orders") {
                    try await measureOrderTimeEvaluation(
                        client: client, migrations: migrations, embedded: embedded, logger: logger
                    ) { Self.emit($0) }
                }
            }
        } catch {
            server.cancel()
            throw error
        }
        server.cancel()
        // The server's shutdown after the loyalty section sometimes does not finish (about one run
        // in three; the job worker has stopped by then). Every figure is printed, so the run waits
        // for it at most 30 s.
        let (outcome, report) = AsyncStream<Bool>.makeStream()
        Task {
            _ = try? await server.value
            report.yield(true)
        }
        Task {
            try? await Task.sleep(for: .seconds(30))
            report.yield(false)
        }
        var stopped = false
        for await result in outcome {
            stopped = result
            break
        }
        if !stopped {
            logger.warning("The server under test did not stop within 30 s; stopping the cluster and exiting.")
            embedded.stop()
            if cluster == nil { try? FileManager.default.removeItem(at: directory) }
            Foundation.exit(EXIT_SUCCESS)
        }
    }

    func measure(
        client: PQPool,
        migrations: MigrationSet,
        embedded: EmbeddedPostgres,
        logger: Logger
    ) async throws {
        let provisioner = TenantProvisioner(
            client: client,
            migrations: migrations,
            sessionLifetime: .seconds(3600),
            logger: logger
        )
        let hasher = PasswordHasher(cost: 12)
        let ownerHash = try await hasher.hash("correct horse battery")
        var lines: [String] = [] {
            didSet { Self.emit(lines.last ?? "") }
        }
        lines.append("## Provisioning and sign-up")
        lines.append("")
        lines.append(
            "| existing tenants | provisioning, spare ready p50 / p95 | provisioning, schema built at sign-up p50 / p95 | sign-up over HTTPS p50 / p95 | bcrypt (cost 12) p50 | sign-ups measured |"
        )
        lines.append("| ---: | ---: | ---: | ---: | ---: | ---: |")
        let pool = SpareSchemaPool(client: client, migrations: migrations, target: 1, logger: logger)
        let pooled = TenantProvisioner(
            client: client, migrations: migrations, sessionLifetime: .seconds(3600), logger: logger, spares: pool)
        var populated = 0
        for count in tenantCounts {
            populated += try await populate(to: count, from: populated, provisioner: provisioner, hash: ownerHash).count
            try await settle(embedded)
            // Provisioning alone: everything sign-up does except hashing the password. With a spare
            // ready (the pool's background refill is done between samples, untimed, as the service
            // does between sign-ups), and with the schema built inside the sign-up transaction.
            var claimed: [Double] = []
            var built: [Double] = []
            for index in 0..<provisionSamples {
                try await pool.refill()
                let started = ContinuousClock.now
                _ = try await pooled.provision(
                    Self.signUp(slug: "spare-\(count)-\(index)"), ownerPasswordHash: ownerHash)
                claimed.append((ContinuousClock.now - started).milliseconds)
            }
            for index in 0..<provisionSamples {
                let started = ContinuousClock.now
                _ = try await provisioner.provision(
                    Self.signUp(slug: "built-\(count)-\(index)"), ownerPasswordHash: ownerHash)
                built.append((ContinuousClock.now - started).milliseconds)
            }
            populated += 2 * provisionSamples
            var bcrypt: [Double] = []
            for _ in 0..<10 {
                let started = ContinuousClock.now
                _ = try await hasher.hash("correct horse battery")
                bcrypt.append((ContinuousClock.now - started).milliseconds)
            }
            let signUps = try await Wrk.signUps(port: port, seconds: signUpSeconds, tag: "n\(count)")
            populated += signUps.requests
            lines.append(
                "| \(count) | \(Self.format(percentile(claimed, 50))) / \(Self.format(percentile(claimed, 95))) "
                    + "| \(Self.format(percentile(built, 50))) / \(Self.format(percentile(built, 95))) "
                    + "| \(Self.format(signUps.p50)) / \(Self.format(signUps.p95)) | \(Self.format(percentile(bcrypt, 50))) "
                    + "| \(signUps.requests) |"
            )
        }

        let reader = try await provisioner.provision(Self.signUp(slug: "reader"), ownerPasswordHash: ownerHash)
        let token = reader.session.value
        try await settle(embedded)
        // The machine is shared by server, database and load generator, so single runs wander:
        // alternate the endpoints for several rounds and report each one's median round.
        var reads: [Wrk.Result] = []
        var bares: [Wrk.Result] = []
        var raws: [Wrk.Result] = []
        for _ in 0..<rounds {
            reads.append(
                try await Wrk.get(
                    port: port, path: "/v1/tenant", token: token, seconds: duration, connections: connections))
            bares.append(
                try await Wrk.get(
                    port: port, path: "/bench/select1", token: nil, seconds: duration, connections: connections)
            )
            raws.append(
                try await Wrk.get(
                    port: port, path: "/bench/tenant-raw", token: token, seconds: duration, connections: connections)
            )
        }
        let tenantRead = Wrk.median(reads)
        let bare = Wrk.median(bares)
        let raw = Wrk.median(raws)
        let pgbench = try await PGBench.selectOnly(embedded: embedded, seconds: duration, connections: connections)
        let share = tenantRead.requestsPerSecond / bare.requestsPerSecond * 100
        let perRound = zip(reads, bares).map {
            String(format: "%.0f%%", $0.requestsPerSecond / $1.requestsPerSecond * 100)
        }
        lines.append("")
        lines.append("## Authenticated tenant read against its ceilings (\(populated) tenants)")
        lines.append("")
        lines.append(
            "Median of \(rounds) alternating rounds of \(duration) s each; /v1/tenant ÷ bare per round: "
                + perRound.joined(separator: ", ") + "."
        )
        lines.append("")
        lines.append("| what | requests/s | p99 |")
        lines.append("| --- | ---: | ---: |")
        lines.append(
            "| `GET /v1/tenant` over HTTPS, session token, keep-alive | \(Self.format(tenantRead.requestsPerSecond, digits: 0)) | \(Self.format(tenantRead.p99)) |"
        )
        lines.append(
            "| `GET /bench/select1` over HTTPS (`SELECT 1`, no auth, no tenant transaction) | \(Self.format(bare.requestsPerSecond, digits: 0)) | \(Self.format(bare.p99)) |"
        )
        lines.append(
            "| `GET /bench/tenant-raw` over HTTPS: the same session check, tenant transaction and read, without the OpenAPI layer | \(Self.format(raw.requestsPerSecond, digits: 0)) | \(Self.format(raw.p99)) |"
        )
        lines.append("| `pgbench -S` on the same PostgreSQL (transactions/s) | \(Self.format(pgbench, digits: 0)) | |")
        lines.append("")
        lines.append("Tenant read as a share of the bare endpoint: \(String(format: "%.1f", share))%.")
    }
}

/// The value below which `percent` of `samples` fall (nearest rank).
func percentile(_ samples: [Double], _ percent: Double) -> Double {
    let sorted = samples.sorted()
    guard !sorted.isEmpty else { return .nan }
    let rank = Int((percent / 100 * Double(sorted.count)).rounded(.up)) - 1
    return sorted[min(max(rank, 0), sorted.count - 1)]
}
