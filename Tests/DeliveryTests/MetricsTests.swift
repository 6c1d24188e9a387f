import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ItineraTestSupport
import Testing

@testable import Itinera

/// A job kind of this test's own, so that its counts are exact while other suites record theirs.
struct MetricsProbeJob: JobHandler {
    var kind: String { "test.metrics" }
    func run(_ job: Job, in run: JobRun) async throws -> JobOutcome { .succeeded(result: "{}") }
}

@Suite struct MetricsTests {
    static let token = String(repeating: "m", count: 40)

    /// The value of the sample `line` starts with, in a Prometheus text page.
    static func sample(_ page: String, _ prefix: String) -> Double? {
        page.split(separator: "\n").first { $0.hasPrefix(prefix) }.flatMap { Double($0.split(separator: " ").last!) }
    }

    @Test func test_metrics_showRequestsPoolQueueAndJobs_toThePlatformOperatorOnly() async throws {
        try await TestDatabase.with { db in
            let parts = db.parts { $0.platformToken = Self.token }
            try await Application(router: try buildRouter(parts)).test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "metrics")
                #expect(try await client.send(.get, "/v1/tenant", token: tenant.token).status == .ok)
                #expect(try await client.send(.get, "/metrics").status == .unauthorized)
                #expect(try await client.send(.get, "/metrics", token: tenant.token).status == .unauthorized)
                for _ in 0..<3 {
                    _ = try await db.client.withConnection { connection in
                        try await JobStore.enqueue(
                            JobRequest(kind: "test.metrics"), tenant: UUID(uuidString: tenant.id)!, on: connection,
                            logger: db.logger)
                    }
                }
                let before = String(buffer: try await client.send(.get, "/metrics", token: Self.token).body)
                #expect(Self.sample(before, #"itinera_jobs{kind="test.metrics",state="queued"}"#) == 3)
                #expect(Self.sample(before, #"itinera_db_connections{state="open"}"#).map { $0 >= 1 } == true)
                #expect(before.contains(#"http_route="/v1/tenant""#))
                #expect(before.contains("http_server_request_duration_bucket"))
                let worker = JobWorker(client: db.client, handlers: [MetricsProbeJob()], logger: db.logger)
                #expect(try await worker.drain() == 3)
                let after = String(buffer: try await client.send(.get, "/metrics", token: Self.token).body)
                #expect(Self.sample(after, #"itinera_jobs{kind="test.metrics",state="queued"}"#) == 0)
                #expect(Self.sample(after, #"itinera_jobs_total{kind="test.metrics",outcome="succeeded"}"#) == 3)
                #expect(Self.sample(after, #"itinera_job_duration_seconds_count{kind="test.metrics"}"#) == 3)
            }
            try await Application(router: try buildRouter(db.parts())).test(.router) { client in
                let status = try await client.send(.get, "/metrics", token: Self.token).status
                #expect(status == .notFound)
            }
        }
    }
}
