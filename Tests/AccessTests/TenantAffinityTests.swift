import Foundation
import Hummingbird
import HummingbirdTesting
import ItineraTestSupport
import Testing

@testable import Itinera

/// A request's tenant reaches the pool before a connection is taken (the credential's tenant as the
/// process last saw it), so a tenant's requests keep to the connection of its own place.
@Suite struct TenantAffinityTests {
    @Test func test_aTenantsRequests_keepToOneConnection_andTenantsSpreadOverThePool() async throws {
        try await TestDatabase.with(connections: 8) { db in
            let app = Application(router: try buildRouter(db.parts { $0.jobWorkers = 0 }))
            // Another pool, named otherwise, to see which of the server's backends worked last.
            let observer = PQPool(
                keywords: PQPool.keywords(for: db.settings, applicationName: "itinera-observer"), maximum: 1)
            @Sendable func lastBackend() async throws -> Int32 {
                try await observer.withConnection { connection in
                    try await connection.query(
                        """
                        SELECT pid FROM pg_stat_activity
                        WHERE datname = current_database() AND application_name = 'itinera'
                          AND backend_type = 'client backend'
                        ORDER BY state_change DESC LIMIT 1
                        """, logger: db.logger
                    ).first!.decode(Int32.self)
                }
            }
            try await app.test(.router) { client in
                var tenants: [SignedUpTenant] = []
                for _ in 0..<8 { tenants.append(try await client.signUp(slugPrefix: "affinity")) }
                // Every connection of the pool open and idle.
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<8 {
                        group.addTask { try await db.client.execute("SELECT pg_sleep(0.2)", logger: db.logger) }
                    }
                    try await group.waitForAll()
                }
                #expect(db.client.gauges.idle == 8)
                var backends: [String: Set<Int32>] = [:]
                for tenant in tenants {
                    // The first request teaches the process whose credential it is; the next ones use it.
                    #expect(try await client.send(.get, "/v1/tenant", token: tenant.token).status == .ok)
                    for _ in 0..<3 {
                        #expect(try await client.send(.get, "/v1/tenant", token: tenant.token).status == .ok)
                        backends[tenant.slug, default: []].insert(try await lastBackend())
                    }
                }
                #expect(backends.values.allSatisfy { $0.count == 1 }, "\(backends)")
                // Without the tenant, each request would take the same first idle connection.
                let used = Set(backends.values.compactMap(\.first))
                #expect(used.count > 1, "8 tenants' requests all went to one connection")
            }
        }
    }
}
