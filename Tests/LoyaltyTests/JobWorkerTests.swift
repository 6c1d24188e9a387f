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

/// A job that waits inside a statement, so that a stop cancels the statement rather than a step.
struct SleepingJob: JobHandler {
    var kind: String { "test.sleeping" }
    func run(_ job: Job, in run: JobRun) async throws -> JobOutcome {
        try await run.progress(done: 1, total: nil)
        try await run.inTenant { tenant in
            try await tenant.query("SELECT pg_sleep(30)")
        }
        return .succeeded(result: "{}")
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

    /// A stop that cancels the job in the middle of a statement puts it back the same way: the
    /// cancellation is the server's, not a failure of the job's.
    @Test func test_aJobCancelledInTheMiddleOfAStatement_goesBackUnattempted() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "jobmid")
                let job = try await db.client.withConnection { connection in
                    try await JobStore.enqueue(
                        JobRequest(kind: "test.sleeping"), tenant: UUID(uuidString: tenant.id)!, on: connection,
                        logger: db.logger)
                }
                let worker = JobWorker(client: db.client, handlers: [SleepingJob()], logger: db.logger)
                let running = Task { try await worker.runNext() }
                var sleeping = 0
                for _ in 0..<250 where sleeping == 0 {
                    try await Task.sleep(for: .milliseconds(20))
                    sleeping =
                        try await db.client.query(
                            "SELECT count(*)::int FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(30)'",
                            logger: db.logger
                        ).first?.decode(Int.self) ?? 0
                }
                #expect(sleeping == 1)
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
