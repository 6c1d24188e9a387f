import Foundation
import Hummingbird
import HummingbirdTesting
import ItineraTestSupport
import Testing

@testable import Itinera

/// A periodic job that does nothing.
struct TickJob: JobHandler {
    var kind: String { "test.tick" }
    func run(_ job: Job, in run: JobRun) async throws -> JobOutcome { .succeeded(result: "{}") }
}

@Suite struct SchedulerTests {
    /// Two servers' workers scheduling a one-second periodic job as fast as they can, at once, for
    /// three seconds: each tenant gets exactly one job per slot.
    @Test func test_twoInstancesScheduling_fireEachSlotOnce() async throws {
        try await TestDatabase.with { db in
            let tenants = try await Application(router: try buildRouter(db.parts())).test(.router) { client in
                [try await client.signUp(slugPrefix: "slot-a"), try await client.signUp(slugPrefix: "slot-b")]
            }
            try await db.client.query(
                "UPDATE itinera.tenants SET created_at = now() - interval '1 hour'", logger: db.logger)
            let workers = (0..<2).map { _ in
                JobWorker(
                    client: db.client, handlers: [TickJob()], periodic: [("test.tick", .seconds(1))],
                    logger: db.logger)
            }
            let started = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in workers {
                    for _ in 0..<2 {
                        group.addTask {
                            while ContinuousClock.now - started < .seconds(3) {
                                try await worker.schedulePeriodic()
                                _ = try await worker.runNext()
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let rows = try await db.client.query(
                """
                SELECT tenant_id, dedupe_key, count(*)::int FROM itinera.jobs WHERE kind = 'test.tick'
                GROUP BY tenant_id, dedupe_key
                """, logger: db.logger
            ).collect().map { try $0.decode((UUID, String, Int).self) }
            let slots = Set(rows.map(\.1))
            #expect(slots.count >= 3 && slots.count <= 4, "\(slots)")
            #expect(rows.allSatisfy { $0.2 == 1 })
            #expect(rows.count == slots.count * tenants.count)
        }
    }
}
