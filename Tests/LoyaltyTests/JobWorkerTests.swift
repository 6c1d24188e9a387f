import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ItineraTestSupport
import Testing

@testable import Itinera

/// A job that reports progress until it is stopped, for the worker's shutdown.
struct EndlessJob: JobHandler {
    var kind: String { "test.endless" }
    func run(_ job: Job, in run: JobRun) async throws -> JobOutcome {
        var done: Int64 = 0
        while true {
            done += 1
            try await run.progress(done: done, total: nil)
            try? await Task.sleep(for: .milliseconds(20))
        }
    }
}

@Suite struct JobWorkerTests {
    /// A server that stops puts the job it runs back in the queue, unattempted, for another worker.
    @Test func test_aJobInterruptedByShutdown_goesBackToTheQueue() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "jobstop")
                let job = try await db.client.withConnection { connection in
                    try await JobStore.enqueue(
                        JobRequest(kind: "test.endless"), tenant: UUID(uuidString: tenant.id)!, on: connection,
                        logger: db.logger)
                }
                let worker = JobWorker(client: db.client, handlers: [EndlessJob()], logger: db.logger)
                let running = Task { try await worker.runNext() }
                var state: (String, Int64) = ("", 0)
                for _ in 0..<100 where state.1 < 3 {
                    try await Task.sleep(for: .milliseconds(20))
                    state =
                        try await db.client.query(
                            "SELECT state, progress_done FROM itinera.jobs WHERE id = \(job.id)", logger: db.logger
                        ).first?.decode((String, Int64).self) ?? ("", 0)
                }
                #expect(state.0 == "running")
                running.cancel()
                #expect(try await running.value == true)
                let after = try await db.client.query(
                    "SELECT state, attempts, lease_owner FROM itinera.jobs WHERE id = \(job.id)", logger: db.logger
                ).collect().first?.decode((String, Int, String?).self)
                #expect(after?.0 == "queued")
                #expect(after?.1 == 0)
                #expect(after?.2 == nil)
            }
        }
    }
}
