import Foundation
import Hummingbird
import HummingbirdTesting
import ItineraTestSupport
import Synchronization
import Testing

@testable import Itinera

/// `kill -9` of the process that runs a background job, with real `itinera serve` processes.
@Suite struct LoyaltyJobCrashTests {
    /// A tier re-evaluation is held inside its slice (a lock on the members) when its server is
    /// killed; the dead server's transaction rolls back, and a server started after it takes the job
    /// over once the lease runs out and finishes it. Every member is moved once: one history entry
    /// each, none twice.
    @Test func test_killedInTheMiddleOfAJob_theNextServerFinishesIt_andEachChangeHappensOnce() async throws {
        try await TestDatabase.with { db in
            let phones = (1...5).map { "1380000100\($0)" }
            let (tenant, job) = try await Application(router: try buildRouter(db.parts())).test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "jobcrash")
                let id = try await LoyaltyJobTests.programme(client, tenant: tenant, phones: phones)
                let response = try await client.send(
                    .put, "/v1/programs/\(id)/tiers", json: ["tiers": LoyaltyJobTests.byOrders], token: tenant.token)
                #expect(response.status == .accepted)
                let job = (try JSON.object(response.body)["reevaluation"] as? [String: Any])?["id"] as? String ?? ""
                return (tenant, UUID(uuidString: job)!)
            }
            #expect(Set(try await LoyaltyJobTests.tiers(db, tenant: tenant.slug).values) == ["gold"])
            func state() async throws -> String {
                try await db.scalar("SELECT state FROM itinera.jobs WHERE id = \(job)", as: String.self) ?? ""
            }
            // The members locked against change, as long as `release` is not set.
            let release = Mutex(false)
            let locked = Mutex(false)
            let holder = Task {
                try await db.inTenant(tenant.slug) { connection in
                    try await connection.execute("LOCK TABLE members IN EXCLUSIVE MODE")
                    locked.withLock { $0 = true }
                    while !release.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(20)) }
                }
            }
            while !locked.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(20)) }
            // The job waits for the lock as long as the test holds it (a starved test task may take
            // longer than the default lock timeout to kill the server).
            let environment = [
                "ITINERA_JOB_LEASE_SECONDS": "3", "ITINERA_DB_CONNECTIONS": "8", "ITINERA_LOCK_TIMEOUT_SECONDS": "300",
            ]
            let first = try await ServerProcess(database: db.settings, environment: environment)
            // Up to 90 s: with every suite running on two cores, the server may be slow to start its
            // worker and claim the job.
            for _ in 0..<4_500 where try await state() != "running" { try await Task.sleep(for: .milliseconds(20)) }
            #expect(try await state() == "running", "the first server's log:\n\(first.log.suffix(4000))")
            // Inside the slice: the job's statement waits for the lock.
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await first.stop(with: SIGKILL, waitingAtMost: .seconds(10)) != nil)
            release.withLock { $0 = true }
            try await holder.value

            let second = try await ServerProcess(database: db.settings, environment: environment)
            for _ in 0..<3_000 where try await state() != "succeeded" { try await Task.sleep(for: .milliseconds(20)) }
            _ = try await second.stop(waitingAtMost: .seconds(10))
            #expect(try await state() == "succeeded")
            let attempts = try await db.scalar("SELECT attempts FROM itinera.jobs WHERE id = \(job)", as: Int.self)
            #expect(
                attempts == 2,
                "the first server's log:\n\(first.log.suffix(3000))\nthe second's:\n\(second.log.suffix(3000))")
            // Two orders each: Silver under the new tiers, each member moved once.
            #expect(
                try await LoyaltyJobTests.tiers(db, tenant: tenant.slug).values.sorted()
                    == Array(repeating: "silver", count: 5))
            let moves = try await db.inTenant(tenant.slug) { connection in
                try await connection.query(
                    "SELECT count(*)::int, count(DISTINCT member_id)::int FROM tier_history WHERE source = 'rule_change'"
                ).first?.decode((Int, Int).self)
            }
            #expect(moves?.0 == 5 && moves?.1 == 5)
        }
    }
}
