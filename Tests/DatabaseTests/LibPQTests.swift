import Foundation
import ItineraTestSupport
import Testing

@testable import Itinera

/// The libpq transport against the real database: pipelines, their failures, transactions and the
/// pool under concurrent use.
@Suite struct LibPQTests {
    static func pool(_ db: TestDatabase, maximum: Int = 4) -> PQPool {
        PQPool(keywords: PQPool.keywords(for: db.settings), maximum: maximum)
    }

    @Test func test_aPipeline_answersEachStatement_withBinaryValuesBothWays() async throws {
        try await TestDatabase.with { db in
            let rows = try await Self.pool(db).withConnection { connection in
                try await connection.pipeline([
                    try PQStatement(prepared: "SELECT $1::int8 + 1, $2::text || '!', $3::uuid, $4::timestamptz")
                        .binding(41).binding("héllo").binding(UUID(uuidString: "6f2c4f1e-0000-4000-8000-000000000001")!)
                        .binding(Date(timeIntervalSince1970: 1_700_000_000)),
                    try PQStatement(prepared: "SELECT x FROM generate_series(1, $1::int4) x").binding(Int32(3)),
                    try PQStatement(prepared: "SELECT $1::text IS NULL").binding(String?.none),
                ])
            }
            #expect(rows.count == 3)
            #expect(try rows[0].decode(Int.self, 0, 0) == 42)
            #expect(try rows[0].decode(String.self, 0, 1) == "héllo!")
            #expect(try rows[0].decode(UUID.self, 0, 2) == UUID(uuidString: "6f2c4f1e-0000-4000-8000-000000000001"))
            #expect(try rows[0].decode(Date.self, 0, 3) == Date(timeIntervalSince1970: 1_700_000_000))
            #expect(rows[1].count == 3)
            #expect(try (0..<3).map { try rows[1].decode(Int32.self, $0, 0) } == [1, 2, 3])
            #expect(try rows[2].decode(Bool.self, 0, 0))
        }
    }

    @Test func test_interpolatedStatements_bindTheirValues_andRowsDecodeAsTuples() async throws {
        try await TestDatabase.with { db in
            let name: String? = nil
            let table = "generate_series"
            let rows = try await Self.pool(db).withConnection { connection in
                try await connection.pipeline([
                    "SELECT \(7)::int8, \(name)::text, \("x")::text",
                    "SELECT n, n * 2 FROM \(unescaped: table)(1, \(Int32(2))) n",
                ])
            }
            for try await row in rows[0] {
                let (seven, none, x) = try row.decode((Int, String?, String).self)
                #expect(seven == 7 && none == nil && x == "x")
            }
            var pairs: [[Int32]] = []
            for try await row in rows[1] {
                let (n, twice) = try row.decode((Int32, Int32).self)
                pairs.append([n, twice])
            }
            #expect(pairs == [[1, 2], [2, 4]])
            #expect(try rows[1][1][1].decode(Int32.self) == 4)
            #expect(throws: PQDecodingError.self) { try rows[0][0][1].decode(String.self) }
        }
    }

    @Test func test_aFailedStatement_stopsThePipelineThere_andNamesItsPlaceAndState() async throws {
        try await TestDatabase.with { db in
            let pool = Self.pool(db, maximum: 1)
            try await pool.withConnection { connection in
                let failure = await #expect(throws: PQPipelineFailure.self) {
                    try await connection.pipeline([
                        PQStatement(prepared: "SELECT 1"),
                        PQStatement(prepared: "SELECT 1 / 0"),
                        PQStatement(prepared: "SELECT 3"),
                    ])
                }
                #expect(failure?.index == 1)
                #expect(failure?.error.sqlState == "22012")
                #expect(failure?.rows.count == 1)
                // The connection goes on: the same statements again, now prepared, and a good one.
                let again = await #expect(throws: PQPipelineFailure.self) {
                    try await connection.pipeline([PQStatement(prepared: "SELECT 1 / 0")])
                }
                #expect(again?.index == 0)
                let three = try await connection.pipeline([PQStatement(prepared: "SELECT 3")])
                #expect(try three[0].decode(Int32.self, 0, 0) == 3)
            }
        }
    }

    @Test func test_aTransactionThatThrows_rollsBack_andOneThatReturns_commits() async throws {
        try await TestDatabase.with { db in
            // One connection, whose temporary table the whole test uses.
            let pool = Self.pool(db, maximum: 1)
            _ = try await pool.withConnection {
                try await $0.pipeline([PQStatement(prepared: "CREATE TEMP TABLE pq_probe (n int PRIMARY KEY)")])
            }
            struct Refused: Error {}
            await #expect(throws: Refused.self) {
                try await pool.transaction { connection in
                    _ = try await connection.pipeline([PQStatement(prepared: "INSERT INTO pq_probe VALUES (1)")])
                    throw Refused()
                }
            }
            await #expect(throws: PQPipelineFailure.self) {
                try await pool.transaction { connection in
                    _ = try await connection.pipeline(
                        [
                            PQStatement(prepared: "INSERT INTO pq_probe VALUES (2)"),
                            PQStatement(prepared: "INSERT INTO pq_probe VALUES (2)"),
                        ],
                        commit: true)
                }
            }
            try await pool.transaction { connection in
                _ = try await connection.pipeline(
                    [PQStatement(prepared: "INSERT INTO pq_probe VALUES (3)")], commit: true)
            }
            let rows = try await pool.withConnection {
                try await $0.pipeline([PQStatement(prepared: "SELECT array_agg(n ORDER BY n)::text FROM pq_probe")])
            }
            #expect(try rows[0].decode(String.self, 0, 0) == "{3}")
        }
    }

    @Test func test_thePool_servesMoreTasksThanConnections_andNeverOpensMore() async throws {
        try await TestDatabase.with { db in
            let pool = Self.pool(db, maximum: 3)
            let pids = try await withThrowingTaskGroup(of: Int32.self) { group in
                for _ in 0..<60 {
                    group.addTask {
                        try await pool.transaction { connection in
                            let rows = try await connection.pipeline(
                                [
                                    PQStatement(prepared: "SELECT pg_backend_pid()"),
                                    PQStatement(prepared: "SELECT pg_sleep(0.005)"),
                                ],
                                commit: true)
                            return try rows[0].decode(Int32.self, 0, 0)
                        }
                    }
                }
                return try await group.reduce(into: Set<Int32>()) { $0.insert($1) }
            }
            #expect(pids.count == 3)
        }
    }

    @Test func test_aStatementCancelledByItsTimeout_leavesTheConnectionUsable() async throws {
        try await TestDatabase.with { db in
            let pool = Self.pool(db, maximum: 1)
            let pid = try await pool.withConnection { connection in
                // A second, not a tenth: on a loaded machine a trivial statement after the cancelled one
                // can itself run past a short timeout. The timeout is lifted before anything else runs.
                try await connection.query("SELECT set_config('statement_timeout', '1000', false)")
                let error = await #expect(throws: PQError.self) { try await connection.query("SELECT pg_sleep(10)") }
                #expect(error?.sqlState == "57014")
                try await connection.query("SELECT set_config('statement_timeout', '0', false)")
                return try await connection.query("SELECT pg_backend_pid()")[0][0].decode(Int32.self)
            }
            // The same connection, back in the pool, serves the next lease.
            let again = try await pool.withConnection {
                try await $0.query("SELECT pg_backend_pid()")[0][0].decode(Int32.self)
            }
            #expect(again == pid)
        }
    }

    @Test func test_aTaskCancelledWhileItsStatementRuns_cancelsTheStatement_andThePoolGoesOn() async throws {
        try await TestDatabase.with { db in
            let pool = Self.pool(db, maximum: 1)
            let started = ContinuousClock.now
            let sleeping = Task {
                try await pool.withConnection { try await $0.query("SELECT pg_sleep(20)") }
            }
            // Cancelled once the statement runs (a task cancelled before it sends runs its statements
            // to the end: that is how cleanup after a cancellation still reaches the database).
            var running = false
            for _ in 0..<200 where !running {
                try await Task.sleep(for: .milliseconds(50))
                running =
                    try await db.client.query(
                        "SELECT count(*)::int FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(20)' AND state = 'active'",
                        logger: db.logger
                    ).first?[0].decode(Int.self) == 1
            }
            #expect(running)
            sleeping.cancel()
            await #expect(throws: CancellationError.self) { _ = try await sleeping.value }
            #expect(ContinuousClock.now - started < .seconds(10))
            let rows = try await pool.withConnection { try await $0.query("SELECT 1") }
            #expect(try rows[0][0].decode(Int32.self) == 1)
            #expect(pool.gauges == PQPool.Gauges(open: 1, idle: 1, waiting: 0))
        }
    }

    @Test func test_twentyThousandLeases_withFailuresAmongThem_leaveNoConnectionBehind() async throws {
        try await TestDatabase.with { db in
            let pool = Self.pool(db, maximum: 4)
            struct Refused: Error {}
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<32 {
                    group.addTask {
                        for n in 0..<625 {
                            switch (worker + n) % 4 {
                            case 0: _ = try await pool.withConnection { try await $0.query("SELECT 1") }
                            case 1: _ = try? await pool.transaction { try await $0.query("SELECT 1 / 0") }
                            case 2: _ = try? await pool.transaction { _ in throw Refused() }
                            default:
                                try await pool.transaction { connection in
                                    _ = try await connection.pipeline(["SELECT 1", "SELECT 2"], commit: true)
                                }
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let gauges = pool.gauges
            #expect(gauges.waiting == 0)
            #expect(gauges.open == gauges.idle)
            #expect(gauges.open <= 4)
        }
    }

    @Test func test_aWaitForABusyPool_endsInDatabaseUnavailable_afterTheLimit() async throws {
        try await TestDatabase.with { db in
            let pool = Self.pool(db, maximum: 1)
            try await pool.withConnection { _ in
                let started = ContinuousClock.now
                await #expect(throws: DatabaseUnavailable.self) {
                    try await ConnectionWait.$limit.withValue(.milliseconds(200)) {
                        try await pool.withConnection { _ in }
                    }
                }
                #expect(ContinuousClock.now - started < .seconds(2))
            }
            #expect(pool.gauges == PQPool.Gauges(open: 1, idle: 1, waiting: 0))
        }
    }

    @Test func test_aConnectionToNothing_failsWithTheReason() async throws {
        let error = await #expect(throws: PQError.self) {
            _ = try await PQConnection.connect([("host", "127.0.0.1"), ("port", "1"), ("connect_timeout", "2")])
        }
        #expect(error?.sqlState == nil)
        #expect(error?.message.contains("refused") == true || error?.message.contains("connect") == true)
    }

    /// A backend keeps catalog entries for every tenant schema it worked in, so a connection that
    /// has served more tenants than the pool allows is replaced when it comes back; one that stays
    /// within the bound is kept.
    @Test func test_aConnectionPastItsTenantBudget_isReplaced() async throws {
        try await TestDatabase.with { db in
            let pool = PQPool(keywords: PQPool.keywords(for: db.settings), maximum: 1, tenants: 2)
            func backend(serving tenants: [UUID]) async throws -> Int32 {
                try await pool.withConnection { connection in
                    for tenant in tenants { connection.noteTenant(tenant) }
                    return try await connection.query("SELECT pg_backend_pid()", logger: db.logger).first!.decode(
                        Int32.self)
                }
            }
            let first = try await backend(serving: [UUID(), UUID()])
            let again = try await backend(serving: [])
            #expect(again == first, "a connection within its budget was replaced")
            _ = try await backend(serving: [UUID()])
            let replaced = try await backend(serving: [])
            #expect(replaced != first, "a connection past its budget was kept")
        }
    }

    /// The pool's connections wait for a lock at most the lock timeout they were made with.
    @Test func test_theLockTimeout_reachesEveryConnection() async throws {
        try await TestDatabase.with { db in
            let pool = try db.settings.makeClient(connections: 1, logger: db.logger, lockTimeout: .milliseconds(1500))
            let shown = try await pool.withConnection { connection in
                try await connection.query("SHOW lock_timeout", logger: db.logger).first!.decode(String.self)
            }
            #expect(shown == "1500ms")
        }
    }
}
