import Foundation
import ItineraTestSupport
import Synchronization
import Testing

@testable import Itinera

/// The pool's tenant affinity against the real database: where each tenant's work runs, what it
/// does when its own connections are busy, and the work bound with more places than work.
@Suite struct PoolAffinityTests {
    /// The backends that served each tenant over three rounds of one lease each, after a first
    /// round that makes them all active.
    static func homes(of tenants: [UUID], in pool: PQPool, _ db: TestDatabase) async throws -> [UUID: Set<Int32>] {
        func backend(for tenant: UUID) async throws -> Int32 {
            try await PQPool.$affinity.withValue(tenant) {
                try await pool.withConnection { connection in
                    try await connection.query("SELECT pg_backend_pid()", logger: db.logger).first!.decode(Int32.self)
                }
            }
        }
        for tenant in tenants { _ = try await backend(for: tenant) }
        var homes: [UUID: Set<Int32>] = [:]
        for _ in 0..<3 {
            for tenant in tenants { homes[tenant, default: []].insert(try await backend(for: tenant)) }
        }
        return homes
    }

    /// With many tenants active, each tenant's work lands on one connection of its own, and the
    /// tenants are shared out over every connection (so each backend keeps a bounded, warm set of
    /// schemas); with few, any idle connection serves any tenant.
    @Test func test_withManyTenantsActive_eachTenantKeepsToItsOwnConnection() async throws {
        try await TestDatabase.with { db in
            let pool = PQPool(keywords: PQPool.keywords(for: db.settings), maximum: 4, tenants: 10)
            // Four connections open, as concurrent work without a tenant needs them.
            let opened = try await withThrowingTaskGroup(of: Int32.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        try await pool.withConnection { connection in
                            let rows = try await connection.pipeline([
                                PQStatement(prepared: "SELECT pg_backend_pid()"),
                                PQStatement(prepared: "SELECT pg_sleep(0.2)"),
                            ])
                            return try rows[0].decode(Int32.self, 0, 0)
                        }
                    }
                }
                return try await group.reduce(into: Set<Int32>()) { $0.insert($1) }
            }
            #expect(opened.count == 4)
            // 40 tenants active: 4 connections × a budget of 10 leaves one place a tenant.
            let tenants = (0..<40).map { _ in UUID() }
            let homes = try await Self.homes(of: tenants, in: pool, db)
            #expect(homes.values.allSatisfy { $0.count == 1 }, "a tenant's work moved between connections")
            let shares = Dictionary(grouping: tenants) { homes[$0]!.first! }.mapValues(\.count)
            #expect(shares.count == 4, "the tenants went to \(shares.count) of 4 connections: \(shares)")
            #expect(Set(shares.keys) == opened)
        }
    }

    /// A tenant whose own connection is held by a long transaction does not wait for it: after the
    /// pool's patience it takes another connection.
    @Test func test_aTenantWhoseConnectionIsBusy_takesAnotherAfterThePatience() async throws {
        try await TestDatabase.with { db in
            let pool = PQPool(
                keywords: PQPool.keywords(for: db.settings), maximum: 2, tenants: 1,
                affinityPatience: .milliseconds(50))
            let tenant = UUID()
            // Many tenants active, so each has one place.
            for _ in 0..<20 {
                try await PQPool.$affinity.withValue(UUID()) { try await pool.withConnection { _ in } }
            }
            let holding = AsyncStream<Int32>.makeStream()
            let done = AsyncStream<Void>.makeStream()
            let holder = Task {
                try await PQPool.$affinity.withValue(tenant) {
                    try await pool.withConnection { connection in
                        let pid = try await connection.query("SELECT pg_backend_pid()", logger: db.logger).first!
                            .decode(Int32.self)
                        holding.continuation.yield(pid)
                        for await _ in done.stream { break }
                    }
                }
            }
            var iterator = holding.stream.makeAsyncIterator()
            let held = await iterator.next()
            let other = try await PQPool.$affinity.withValue(tenant) {
                try await pool.withConnection(waitingAtMost: .seconds(10)) { connection in
                    try await connection.query("SELECT pg_backend_pid()", logger: db.logger).first!.decode(Int32.self)
                }
            }
            done.continuation.yield()
            done.continuation.finish()
            try await holder.value
            #expect(held != nil && other != held)
        }
    }

    /// With more places than work, tenants spread over every place (each keeping to its own), and
    /// never more connections work at once than the pool's maximum.
    @Test func test_morePlacesThanWork_spreadsTenantsOverEveryPlace_andBoundsTheWork() async throws {
        try await TestDatabase.with { db in
            let pool = PQPool(keywords: PQPool.keywords(for: db.settings), maximum: 2, places: 6, tenants: 30)
            // 60 tenants active: 6 places × a budget of 30 ÷ (2 × 60) leaves one place a tenant.
            let tenants = (0..<60).map { _ in UUID() }
            let homes = try await Self.homes(of: tenants, in: pool, db)
            #expect(homes.values.allSatisfy { $0.count == 1 }, "a tenant's work moved between connections")
            let backends = Set(homes.values.compactMap(\.first))
            #expect(backends.count == 6, "the tenants kept to \(backends.count) of 6 places")
            #expect(pool.gauges.open == 6)

            // Twelve tenants' work at once: two at a time, however many places are idle.
            let working = Concurrency()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for tenant in tenants.prefix(12) {
                    group.addTask {
                        try await PQPool.$affinity.withValue(tenant) {
                            try await pool.withConnection(waitingAtMost: .seconds(10)) { connection in
                                working.enter()
                                try await connection.execute("SELECT pg_sleep(0.05)", logger: db.logger)
                                working.leave()
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(working.most == 2)
            #expect(pool.gauges.open == 6 && pool.gauges.idle == 6)
        }
    }

    /// A connection held by a task until it is let go, with the backend that serves it.
    struct Held {
        let pid: Int32
        let release: AsyncStream<Void>.Continuation
        let task: Task<Void, any Error>

        /// Takes a connection of `pool` for `tenant` (none: no affinity), noting the tenant on it
        /// as a tenant transaction would, and holds it.
        static func take(_ pool: PQPool, for tenant: UUID?, _ db: TestDatabase) async throws -> Held {
            let (pids, announce) = AsyncStream<Int32>.makeStream()
            let (done, release) = AsyncStream<Void>.makeStream()
            let task = Task {
                try await PQPool.$affinity.withValue(tenant) {
                    try await pool.withConnection(waitingAtMost: .seconds(10)) { connection in
                        if let tenant { connection.noteTenant(tenant) }
                        announce.yield(
                            try await connection.query("SELECT pg_backend_pid()", logger: db.logger).first!.decode(
                                Int32.self))
                        for await _ in done { break }
                    }
                }
            }
            var iterator = pids.makeAsyncIterator()
            let pid = try #require(await iterator.next())
            return Held(pid: pid, release: release, task: task)
        }

        func letGo() async throws {
            release.yield()
            release.finish()
            try await task.value
        }
    }

    /// Work that waited out the patience for its tenant's own connection goes to an idle connection
    /// that has served the tenant before, not to the first idle one, so a tenant that widens keeps
    /// to one warm second connection.
    @Test func test_workThatWidens_prefersAConnectionThatServedItsTenant() async throws {
        try await TestDatabase.with { db in
            let pool = PQPool(
                keywords: PQPool.keywords(for: db.settings), maximum: 3, tenants: 4,
                affinityPatience: .milliseconds(20))
            // 60 tenants active: 3 places × a budget of 4 ÷ (2 × 60) leaves one place a tenant, and
            // their work opens all three.
            for _ in 0..<60 {
                try await PQPool.$affinity.withValue(UUID()) { try await pool.withConnection { _ in } }
            }
            #expect(pool.gauges.open == 3)
            let tenant = UUID()
            let own = try await Held.take(pool, for: tenant, db)
            // Work without a tenant takes the first idle connection; the tenant's next work waits
            // out the patience and takes the other, which then has served the tenant.
            let first = try await Held.take(pool, for: nil, db)
            let second = try await Held.take(pool, for: tenant, db)
            #expect(Set([own.pid, first.pid, second.pid]).count == 3)
            try await second.letGo()
            try await first.letGo()
            // Both others are idle now, the first ahead in the pool's order: the tenant's work
            // goes to the one that served it, every time.
            for _ in 0..<3 {
                let again = try await Held.take(pool, for: tenant, db)
                #expect(again.pid == second.pid, "widened to \(again.pid), not the warm \(second.pid)")
                try await again.letGo()
            }
            try await own.letGo()
            #expect(pool.events[.widened] >= 4)
        }
    }
}

/// How many tasks are inside a section at once, and the most there were.
private final class Concurrency: Sendable {
    private let state = Mutex((now: 0, most: 0))

    func enter() { state.withLock { $0 = (now: $0.now + 1, most: max($0.most, $0.now + 1)) } }
    func leave() { state.withLock { $0.now -= 1 } }
    var most: Int { state.withLock { $0.most } }
}
