import Foundation
import Hummingbird
import HummingbirdTesting
import ItineraTestSupport
import Synchronization
import Testing

@testable import Itinera

/// Every run of a job, by the job's id.
final class JobRunLog: Sendable {
    let runs = Mutex<[UUID: Int]>([:])
}

/// A job that notes each run of it and takes a moment, so that claims overlap.
struct CountedJob: JobHandler {
    let log: JobRunLog
    var kind: String { "test.counted" }
    func run(_ job: Job, in run: JobRun) async throws -> JobOutcome {
        log.runs.withLock { $0[job.id, default: 0] += 1 }
        try await Task.sleep(for: .milliseconds(Int.random(in: 0...2)))
        return .succeeded(result: "{}")
    }
}

@Suite struct JobClaimTests {
    /// Two servers' workers and a worker process's (three `JobWorker`s, four loops each, as
    /// `itinera serve` twice and `itinera worker --workers 4` run them) drain 600 jobs of two tenants
    /// at once: every job runs exactly once and ends succeeded.
    @Test func test_threeInstancesDraining_claimEachJobOnce() async throws {
        try await TestDatabase.with { db in
            _ = try await Application(router: try buildRouter(db.parts { $0.jobWorkers = 0 })).test(.router) {
                client in
                [try await client.signUp(slugPrefix: "claim-a"), try await client.signUp(slugPrefix: "claim-b")]
            }
            try await db.client.query(
                """
                INSERT INTO itinera.jobs (id, tenant_id, kind, payload, max_attempts, created_by, state)
                SELECT gen_random_uuid(), t.id, 'test.counted', '{}'::jsonb, 3, 'test', 'queued'
                FROM itinera.tenants t, generate_series(1, 300)
                """, logger: db.logger)
            let log = JobRunLog()
            let instances = (0..<3).map { _ in
                JobWorker(client: db.client, handlers: [CountedJob(log: log)], periodic: [], logger: db.logger)
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for instance in instances {
                    for _ in 0..<4 {
                        group.addTask { while try await instance.runNext() {} }
                    }
                }
                try await group.waitForAll()
            }
            let runs = log.runs.withLock { $0 }
            #expect(runs.count == 600)
            #expect(runs.values.allSatisfy { $0 == 1 }, "\(runs.values.filter { $0 > 1 }.count) jobs ran twice")
            let ended = try await db.client.query(
                "SELECT state, count(*)::int FROM itinera.jobs WHERE kind = 'test.counted' GROUP BY state",
                logger: db.logger
            ).collect().map { try $0.decode((String, Int).self) }
            #expect(ended.count == 1 && ended.first?.0 == "succeeded" && ended.first?.1 == 600, "\(ended)")
        }
    }
}
