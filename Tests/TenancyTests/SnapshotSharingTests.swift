import Foundation
import Itinera
import ItineraTestSupport
import PostgresNIO
import Testing

@Suite struct SnapshotSharingTests {
    static func customers(on tenant: TenantConnection) async throws -> Int {
        for try await count in try await tenant.query("SELECT count(*)::int FROM customers").decode(Int.self) {
            return count
        }
        return -1
    }

    @Test func test_aHelper_readsTheSnapshotOfTheTransactionThatLentIt_inTheSameTenant_andWritesNothing()
        async throws
    {
        try await TestDatabase.with { db in
            let tenant = try await TenantIsolationTests.provision(db, slug: "lender").identity
            let sharing = SnapshotSharing(client: db.client, capacity: 1)
            try await TenantTransaction.run(db.client, tenant: tenant, logger: db.logger, isolation: .repeatableRead) {
                main in
                #expect(try await Self.customers(on: main) == 0)
                // Committed after the lender's snapshot was taken: neither it nor its helper sees it.
                try await TenantTransaction.run(db.client, tenant: tenant, logger: db.logger) {
                    try await $0.execute("INSERT INTO customers (name) VALUES ('Li Wei')")
                }
                try await sharing.withHelpers(1, sharing: main) { (connections: [TenantConnection]) async throws in
                    #expect(connections.count == 2)
                    let helper = connections[1]
                    #expect(helper.connection !== main.connection)
                    #expect(try await Self.customers(on: main) == 0)
                    #expect(try await Self.customers(on: helper) == 0)
                    do {
                        try await helper.execute("INSERT INTO customers (name) VALUES ('Wang Fang')")
                        Issue.record("a helper transaction wrote")
                    } catch {
                        #expect((error as? PQError)?.sqlState == "25006")
                    }
                }
            }
            let now = try await TenantTransaction.run(db.client, tenant: tenant, logger: db.logger) {
                try await Self.customers(on: $0)
            }
            #expect(now == 1)
        }
    }

    @Test func test_helpersBeyondTheCap_areNotLent_andTheReadRunsAlone() async throws {
        try await TestDatabase.with { db in
            let tenant = try await TenantIsolationTests.provision(db, slug: "capped").identity
            /// The connections a read wanting `wanted` helpers was given, and what `inside` answered
            /// while it held them.
            func lent(_ sharing: SnapshotSharing, _ wanted: Int, inside: () async throws -> Int = { 0 })
                async throws -> (Int, Int)
            {
                try await TenantTransaction.run(
                    db.client, tenant: tenant, logger: db.logger, isolation: .repeatableRead
                ) { main in
                    try await sharing.withHelpers(wanted, sharing: main) { ($0.count, try await inside()) }
                }
            }
            let one = SnapshotSharing(client: db.client, capacity: 1)
            // While one read holds the only helper, another gets none; once it is back, it is lent again.
            let nested = try await lent(one, 3) { try await lent(one, 1).0 }
            #expect(nested == (2, 1))
            #expect(try await lent(one, 1).0 == 2)
            #expect(try await lent(one, 0).0 == 1)
            #expect(try await lent(SnapshotSharing(client: db.client, capacity: 0), 1).0 == 1)
            #expect(
                [1, 3, 4, 20].map { SnapshotSharing.capacity(forPoolOf: $0) } == [0, 0, 1, 1])
        }
    }
}
