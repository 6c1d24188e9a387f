import Foundation
import Hummingbird
import Itinera
import Logging
import Synchronization

/// A job that does nothing, for the queue's own cost.
struct NoopJob: JobHandler {
    var kind: String { "bench.noop" }
    func run(_ job: Job, in run: JobRun) async throws -> JobOutcome { .succeeded(result: "{}") }
}

extension ItineraBench {
    /// Delivery: the job queue's cost per job with an empty queue and with 100,000 jobs queued, and
    /// webhook deliveries per second to a receiver on this machine with one worker (the server's) and
    /// four (the server's and three more), alternating.
    func measureDelivery(
        client: PQPool, migrations: MigrationSet, embedded: EmbeddedPostgres, configuration: ServerConfiguration,
        logger: Logger
    ) async throws {
        var lines: [String] = [] {
            didSet { Self.emit(lines.last ?? "") }
        }
        lines.append("")
        lines.append("## Delivery")
        let provisioner = TenantProvisioner(
            client: client, migrations: migrations, sessionLifetime: .seconds(86_400), logger: logger)
        let tenant = try await provisioner.provision(Self.signUp(slug: "delivery"), ownerPasswordHash: "x")
        let token = tenant.session.value

        // The queue: a job that does nothing, claimed and ended (two statements), 2,000 times.
        let queueWorker = JobWorker(client: client, handlers: [NoopJob()], logger: logger)
        func timings(_ count: Int) async throws -> [Double] {
            try await client.execute(
                """
                INSERT INTO itinera.jobs (id, tenant_id, kind)
                SELECT gen_random_uuid(), \(tenant.tenant.id), 'bench.noop' FROM generate_series(1, \(count))
                """, logger: logger)
            try await settle(embedded)
            var samples: [Double] = []
            for _ in 0..<2_000 {
                let started = ContinuousClock.now
                guard try await queueWorker.runNext() else { throw BenchError("the queue ran dry") }
                samples.append((ContinuousClock.now - started).milliseconds)
            }
            try await client.execute("DELETE FROM itinera.jobs WHERE kind = 'bench.noop'", logger: logger)
            return samples.sorted()
        }
        lines.append("")
        lines.append("| jobs queued | one job through the queue p50 / p99 (claim, run nothing, record the end) |")
        lines.append("| ---: | ---: |")
        for queued in [2_000, 100_000] {
            let samples = try await timings(queued)
            lines.append(
                "| \(queued) | \(Self.ms(samples[samples.count / 2])) / \(Self.ms(samples[samples.count * 99 / 100])) ms |"
            )
        }

        // Webhooks: events of order ingest written while the endpoint is disabled, then replayed to it.
        let receiver = BenchReceiver()
        let receiverPort = try await receiver.start()
        let created = try await Curl.json(
            method: "POST", port: port, path: "/v1/webhook-endpoints",
            body: #"{"url":"http://127.0.0.1:\#(receiverPort)/hook","event_types":["order.created"]}"#, token: token)
        guard created.status == 201, let id = Self.field("id", in: created.body) else {
            throw BenchError("creating the endpoint answered \(created.status): \(created.body)")
        }
        _ = try await Curl.json(
            method: "PATCH", port: port, path: "/v1/webhook-endpoints/\(id)", body: #"{"enabled":false}"#, token: token)
        let since = Date().addingTimeInterval(-1)
        let ingest = try await Wrk.script(
            Self.orderScript(customers: 1_000, round: 0, token: token), port: port, token: nil,
            seconds: max(duration / 2, 5), connections: connections)
        let until = Date().addingTimeInterval(1)
        _ = try await Curl.json(
            method: "PATCH", port: port, path: "/v1/webhook-endpoints/\(id)", body: #"{"enabled":true}"#, token: token)
        try await settle(embedded)
        lines.append("")
        lines.append(
            "Webhook deliveries: \(ingest.requests) `order.created` events of 1,000 customers (written by `POST /v1/orders` "
                + "under load while the endpoint was disabled), replayed to a receiver on this machine that answers 204 "
                + "(plain HTTP, `webhook_allow_private`); each round replays them all and times until the receiver has "
                + "had every one.")
        lines.append("")
        lines.append("| round | workers | deliveries | seconds | deliveries/s |")
        lines.append("| ---: | ---: | ---: | ---: | ---: |")
        var parts = ApplicationParts(
            configuration: configuration, client: client, migrations: migrations, logger: logger)
        parts.configuration.jobWorkers = 1
        for round in 1...(rounds * 2) {
            let workers = round % 2 == 1 ? 1 : 4
            let extra = try (1..<workers).map { _ in try makeJobWorker(parts, schedules: false) }
            let running = extra.map { worker in Task { try await worker.run() } }
            let before = receiver.count
            let started = ContinuousClock.now
            let replay = try await Curl.json(
                method: "POST", port: port, path: "/v1/webhook-endpoints/\(id)/replay",
                body: #"{"since":"\#(since.formatted(.iso8601))","until":"\#(until.formatted(.iso8601))"}"#,
                token: token)
            guard replay.status == 202, let queued = Int(Self.field("queued", in: replay.body) ?? "") else {
                throw BenchError("the replay answered \(replay.status): \(replay.body)")
            }
            while receiver.count < before + queued {
                if ContinuousClock.now - started > .seconds(600) { throw BenchError("deliveries took over 10 min") }
                try await Task.sleep(for: .milliseconds(20))
            }
            let seconds = (ContinuousClock.now - started).milliseconds / 1000
            running.forEach { $0.cancel() }
            for task in running { _ = try? await task.value }
            lines.append(
                "| \(round) | \(workers) | \(queued) | \(String(format: "%.1f", seconds)) | \(Int((Double(queued) / seconds).rounded())) |"
            )
            try await settle(embedded)
        }
        receiver.stop()
    }

    static func ms(_ value: Double) -> String { String(format: "%.2f", value) }

    /// A top-level field of a JSON object, as text.
    static func field(_ name: String, in body: String) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
            let value = object[name]
        else { return nil }
        return "\(value)"
    }
}

/// A receiver that answers every POST with 204 and counts them.
final class BenchReceiver: Sendable {
    private let received = Mutex(0)
    private let task = Mutex<Task<Void, any Error>?>(nil)

    var count: Int { received.withLock { $0 } }

    func start() async throws -> Int {
        let router = Router()
        router.post("/hook") { request, _ -> Response in
            _ = try await request.body.collect(upTo: 1_000_000)
            self.received.withLock { $0 += 1 }
            return Response(status: .noContent)
        }
        var logger = Logger(label: "bench-receiver")
        logger.logLevel = .critical
        let (ready, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? 0)
                continuation.finish()
            }, logger: logger)
        task.withLock { $0 = Task { try await app.runService() } }
        for await port in ready { return port }
        throw BenchError("the receiver did not start")
    }

    func stop() { task.withLock { $0?.cancel() } }
}
