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
    /// Runs a job of `handler` until `reached` holds for it, then cancels the worker as a stopping
    /// server does, and checks that the job is back in the queue, unattempted and unheld.
    static func interrupt(
        _ handler: some JobHandler, slugPrefix: String,
        when reached: @escaping @Sendable (TestDatabase, UUID) async throws -> Bool
    ) async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: slugPrefix)
                let job = try await db.client.withConnection { connection in
                    try await JobStore.enqueue(
                        JobRequest(kind: handler.kind), tenant: UUID(uuidString: tenant.id)!, on: connection,
                        logger: db.logger)
                }
                let worker = JobWorker(client: db.client, handlers: [handler], logger: db.logger)
                let running = Task { try await worker.runNext() }
                var arrived = false
                for _ in 0..<250 where !arrived {
                    try await Task.sleep(for: .milliseconds(20))
                    arrived = try await reached(db, job.id)
                }
                #expect(arrived)
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

    /// A server that stops puts the job it runs back in the queue, unattempted, for another worker.
    @Test func test_aJobInterruptedByShutdown_goesBackToTheQueue() async throws {
        try await Self.interrupt(EndlessJob(), slugPrefix: "jobstop") { db, job in
            let state = try await db.client.query(
                "SELECT state, progress_done FROM itinera.jobs WHERE id = \(job)", logger: db.logger
            ).first?.decode((String, Int64).self)
            return state?.0 == "running" && (state?.1 ?? 0) >= 3
        }
    }

    /// A stop that cancels the job in the middle of a statement puts it back the same way: the
    /// cancellation is the server's, not a failure of the job's.
    @Test func test_aJobCancelledInTheMiddleOfAStatement_goesBackUnattempted() async throws {
        try await Self.interrupt(SleepingJob(), slugPrefix: "jobmid") { db, _ in
            let sleeping = try await db.client.query(
                "SELECT count(*)::int FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(30)'", logger: db.logger
            ).first?.decode(Int.self)
            return sleeping == 1
        }
    }
}
