import Foundation
import HTTPTypes
import HummingbirdTesting
import Itinera
import ItineraTestSupport
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// `itinera serve` as a process, stopped with SIGTERM while partners are busy with it.
@Suite struct ShutdownTests {
    /// What the load saw: the external ids of the orders the server acknowledged with a 201.
    final class Acknowledged: Sendable {
        let ids = Mutex<[String]>([])
        let failures = Mutex<[String]>([])
    }

    static func post(_ client: TestClient, _ path: String, json: Any, token: String?, key: String? = nil)
        async throws -> TestClient.Response
    {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let token { headers[.authorization] = "Bearer \(token)" }
        if let key { headers[HTTPField.Name("Idempotency-Key")!] = key }
        return try await client.execute(.init(path, method: .post, headers: headers, body: JSON.body(json)))
    }

    /// Posts orders one after another on one keep-alive connection, reconnecting when it closes,
    /// until the server is gone.
    static func orders(port: Int, token: String, worker: Int, server: ServerProcess, into acknowledged: Acknowledged)
        async
    {
        var sequence = 0
        while server.process.isRunning {
            let client = server.client()
            defer { Task { try? await client.shutdown() } }
            while server.process.isRunning {
                sequence += 1
                let id = "w\(worker)-\(sequence)"
                let order: [String: Any] = [
                    "customer": ["phone": "+8613800\(String(format: "%06d", worker * 1000 + sequence % 50))"],
                    "external_id": id, "amount_minor": 120_000, "currency": "CNY", "product": ["name": "Lijiang"],
                    "ordered_at": "2026-11-01T10:00:00Z", "status": "confirmed",
                ]
                do {
                    let response = try await post(client, "/v1/orders", json: order, token: token, key: id)
                    if response.status == .created {
                        acknowledged.ids.withLock { $0.append(id) }
                    } else if response.status != .serviceUnavailable {
                        acknowledged.failures.withLock { $0.append("\(id): \(response.status)") }
                    }
                    if response.headers[.connection] == "close" { break }
                } catch {
                    break
                }
            }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    @Test func test_sigtermUnderKeepAliveLoad_andAHalfOpenConnection_endsWithinTheDeadline_losingNoWrite()
        async throws
    {
        try await TestDatabase.with { db in
            let server = try await ServerProcess(
                database: db.settings, environment: ["ITINERA_SHUTDOWN_SECONDS": "10", "ITINERA_KEY_RATE": "100000"])
            let setup = server.client()
            let slug = "stop-\(UUID().uuidString.prefix(8).lowercased())"
            let signUp = try await Self.post(
                setup, "/v1/signup",
                json: [
                    "tenant": ["name": "Stop", "slug": slug, "kind": "agency"],
                    "owner": ["email": "owner@\(slug).example", "password": "correct horse battery", "name": "O"],
                ], token: nil)
            #expect(signUp.status == .created)
            let token =
                try ((JSON.object(try #require(signUp.body))["session"] as? [String: Any])?["token"] as? String)
                ?? ""
            try await setup.shutdown()

            // A client that connects and never begins the TLS handshake.
            let halfOpen = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: server.port).get()

            let acknowledged = Acknowledged()
            let stopped = try await withThrowingTaskGroup(of: Duration?.self) { group in
                for worker in 0..<16 {
                    group.addTask {
                        await Self.orders(
                            port: server.port, token: token, worker: worker, server: server, into: acknowledged)
                        return nil
                    }
                }
                // The load runs a while before the signal comes.
                while acknowledged.ids.withLock({ $0.count }) < 200 {
                    try await Task.sleep(for: .milliseconds(20))
                }
                let stopped = try await server.stop(with: SIGTERM, waitingAtMost: .seconds(20))
                var result: Duration?
                for try await value in group { result = result ?? value }
                return stopped ?? result
            }
            try? await halfOpen.close()

            let took = try #require(
                stopped, "the server was still running 20 s after SIGTERM:\n\(server.log.suffix(3000))")
            #expect(took < .seconds(10), "the shutdown took \(took)")
            #expect(server.process.terminationStatus == 0, "exit status \(server.process.terminationStatus)")
            #expect(server.log.contains("Shutdown began"))
            #expect(server.log.contains("Itinera stopped"))
            #expect(acknowledged.failures.withLock { $0 }.isEmpty, "\(acknowledged.failures.withLock { $0 })")

            // Every order the server acknowledged is stored, once.
            let ids = acknowledged.ids.withLock { $0 }
            let stored = try await db.inTenant(slug) { tenant in
                var stored: [String] = []
                for try await id in try await tenant.query("SELECT external_id FROM orders").decode(String.self) {
                    stored.append(id)
                }
                return stored
            }
            #expect(ids.count >= 200)
            #expect(Set(ids).isSubset(of: Set(stored)), "acknowledged but not stored: \(Set(ids).subtracting(stored))")
            #expect(stored.count == Set(stored).count)
        }
    }
}
