import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ItineraTestSupport
import Synchronization
import Testing

@testable import Itinera

/// The database restarted under load: while it is down, requests fail fast with a 503 problem; once
/// it is back, the pool recovers by itself and no connection is left behind.
@Suite struct DatabaseRestartTests {
    @Test func test_aDatabaseRestartedUnderLoad_costs503sWhileDown_andThePoolRecovers() async throws {
        let directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent(
            "itinera-restart-\(UUID().uuidString.prefix(8))")
        let cluster = try EmbeddedPostgres(directory: directory, durability: .throwaway, logger: testLogger)
        try cluster.start()
        defer {
            cluster.stop()
            try? FileManager.default.removeItem(at: directory)
        }
        try await cluster.prepareApplicationDatabase()
        let migrations = try MigrationSet.embedded()
        let pool = PQPool(cluster.applicationSettings, maximum: 4)
        _ = try await Migrator(client: pool, migrations: migrations, logger: testLogger).run()
        var configuration = ServerConfiguration()
        configuration.bcryptCost = 4
        configuration.databaseConnections = 4
        // The clients read as fast as they can; the rate limits are not what this measures.
        configuration.tenantRateLimit = RateLimiter.Limit(perSecond: 1e9, burst: 1e9)
        configuration.keyRateLimit = RateLimiter.Limit(perSecond: 1e9, burst: 1e9)
        let parts = ApplicationParts(
            configuration: configuration, client: pool, migrations: migrations, logger: testLogger)
        let app = Application(router: try buildRouter(parts))
        try await app.test(.router) { client in
            let tenant = try await client.signUp(slugPrefix: "restart")
            #expect(try await client.send(.get, "/v1/tenant", token: tenant.token).status == .ok)

            // Eight clients keep reading while the database stops and starts again.
            let tally = Tally()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        while tally.running.load(ordering: .relaxed) {
                            let started = ContinuousClock.now
                            let response = try await client.send(.get, "/v1/tenant", token: tenant.token)
                            let took = ContinuousClock.now - started
                            tally.statuses.withLock { $0[response.status, default: 0] += 1 }
                            if response.status != .ok {
                                #expect(response.status == .serviceUnavailable)
                                #expect(response.headers[.contentType] == "application/problem+json")
                                tally.slowest.withLock { $0 = max($0, took) }
                            }
                        }
                    }
                }
                try await Task.sleep(for: .milliseconds(300))
                cluster.stop()
                try await Task.sleep(for: .seconds(1))
                try cluster.start()
                // Back: reads succeed again within a few seconds, with no restart of the pool.
                var recovered = false
                for _ in 0..<50 where !recovered {
                    try await Task.sleep(for: .milliseconds(100))
                    recovered = try await client.send(.get, "/v1/tenant", token: tenant.token).status == .ok
                }
                #expect(recovered)
                try await Task.sleep(for: .milliseconds(300))
                tally.running.store(false, ordering: .relaxed)
                try await group.waitForAll()
            }
            let counts = tally.statuses.withLock { $0 }
            #expect((counts[.serviceUnavailable] ?? 0) > 0, "the database was down for a second: \(counts)")
            #expect((counts[.ok] ?? 0) > 0)
            #expect(Set(counts.keys).isSubset(of: [.ok, .serviceUnavailable]), "\(counts)")
            // Failing fast: a refused request does not wait out the connection deadline.
            #expect(tally.slowest.withLock { $0 } < .seconds(3))
        }
        // Nothing leaked: every connection the pool opened is idle again.
        let gauges = pool.gauges
        #expect(gauges.waiting == 0)
        #expect(gauges.open == gauges.idle)
        #expect(gauges.open <= 4)
        pool.close()
    }
}

/// What the reading clients saw.
private final class Tally: Sendable {
    let statuses = Mutex<[HTTPResponse.Status: Int]>([:])
    let slowest = Mutex<Duration>(.zero)
    let running = Atomic<Bool>(true)
}
