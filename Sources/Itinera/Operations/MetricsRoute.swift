import Foundation
import Hummingbird
import Logging
import Synchronization

/// `GET /metrics`: the registry's metrics, with the pool's and the job queue's state read at the
/// moment of the scrape. It answers only the platform operator's token (as `Authorization: Bearer`),
/// and is off (404) when the server has none.
struct MetricsRoute: Sendable {
    let client: PQPool
    let platformToken: String?
    let logger: Logger

    func add(to router: Router<ItineraRequestContext>) {
        router.get("/metrics") { request, _ -> Response in
            guard let token = platformToken else { throw HTTPError(.notFound) }
            guard let given = request.headers[.authorization],
                constantTimeEquals(Data(given.utf8), Data("Bearer \(token)".utf8))
            else {
                throw Problem.unauthorized("Metrics need the platform operator's token.")
            }
            try await refreshGauges()
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: ItineraMetrics.registry.emitToBuffer())))
        }
    }

    /// The pool's connections, and the queue's depth and oldest due job by kind and state.
    private func refreshGauges() async throws {
        let pool = client.gauges
        let registry = ItineraMetrics.registry
        registry.makeGauge(name: "itinera_db_connections", labels: [("state", "open")]).set(Double(pool.open))
        registry.makeGauge(name: "itinera_db_connections", labels: [("state", "idle")]).set(Double(pool.idle))
        registry.makeGauge(name: "itinera_db_connection_waiters").set(Double(pool.waiting))
        let rows = try await client.query(
            """
            SELECT kind, state, count(*)::int,
                   coalesce(extract(epoch FROM now() - min(run_after) FILTER (WHERE run_after <= now())), 0)::float8
            FROM itinera.jobs WHERE state IN ('waiting', 'queued', 'running')
            GROUP BY kind, state
            """, logger: logger)
        var seen: Set<[String]> = []
        for row in rows.collect() {
            let (kind, state, count, age) = try row.decode((String, String, Int, Double).self)
            seen.insert([kind, state])
            registry.makeGauge(name: "itinera_jobs", labels: [("kind", kind), ("state", state)]).set(Double(count))
            registry.makeGauge(name: "itinera_job_oldest_due_seconds", labels: [("kind", kind), ("state", state)])
                .set(age)
        }
        // Kinds and states that emptied since the last scrape read zero.
        let previous = QueueLabels.shared.withLock { labels in
            defer { labels = seen }
            return labels
        }
        for gone in previous.subtracting(seen) {
            let labels = [("kind", gone[0]), ("state", gone[1])]
            registry.makeGauge(name: "itinera_jobs", labels: labels).set(0.0)
            registry.makeGauge(name: "itinera_job_oldest_due_seconds", labels: labels).set(0.0)
        }
    }
}

/// The queue's kind and state pairs of the last scrape.
enum QueueLabels {
    static let shared = Mutex<Set<[String]>>([])
}
