import Foundation
import Hummingbird
import HummingbirdTesting
import ItineraTestSupport
import NIOPosix
import PostgresNIO
import Testing

@testable import Itinera

/// A database that cannot be reached costs a request a bounded wait and a 503, never a 500 or a wait
/// without end.
@Suite struct DatabaseDeadlineTests {
    /// The application against a pool whose database does not answer: nothing listens on its port.
    static func withUnreachableDatabase(_ body: @Sendable (any TestClientProtocol) async throws -> Void)
        async throws
    {
        let port = try ServerProcess.freePort()
        let settings = DatabaseSettings(
            host: "127.0.0.1", port: port, user: "itinera", database: "itinera", sslMode: .disable)
        let client = try settings.makeClient(connections: 4, logger: testLogger)
        var parts = ApplicationParts(
            configuration: ServerConfiguration(), client: client,
            migrations: try .embedded(), logger: testLogger)
        parts.configuration.bcryptCost = 4
        let app = Application(router: try buildRouter(parts))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try? await client.run() }
            defer { group.cancelAll() }
            try await app.test(.router) { client in try await body(client) }
        }
    }

    @Test func test_readiness_answersWithinASecond_whenTheDatabaseCannotBeReached() async throws {
        try await Self.withUnreachableDatabase { client in
            let started = ContinuousClock.now
            let ready = try await client.send(.get, "/readyz")
            let took = ContinuousClock.now - started
            #expect(ready.status == .serviceUnavailable)
            // The probe's deadline is one second; the margin is for a test runner whose other suites
            // load both cores at once, which delays the timer's wake-up (a second here).
            #expect(took < .seconds(3), "readiness took \(took)")
        }
    }

    @Test func test_aTenantRequest_getsA503WithRetryAfter_afterABoundedWait() async throws {
        try await Self.withUnreachableDatabase { client in
            let started = ContinuousClock.now
            let tenant = try await client.send(.get, "/v1/tenant", token: SessionToken.generate().value)
            let took = ContinuousClock.now - started
            #expect(tenant.status == .serviceUnavailable)
            #expect(tenant.headers[.retryAfter] != nil)
            #expect(tenant.headers[.contentType] == "application/problem+json")
            #expect(
                try JSON.object(tenant.body)["type"] as? String == "/problems/database-unavailable",
                "\(String(buffer: tenant.body))")
            #expect(took < ConnectionWait.requestDefault + .seconds(3), "the request took \(took)")
        }
    }
}
