import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ItineraTestSupport
import NIOCore
import Testing

@testable import Itinera

/// `kill -9` of the process that runs a delivery, with real `itinera serve` processes.
@Suite struct WorkerCrashTests {
    static let environment = [
        "ITINERA_WEBHOOK_ALLOW_PRIVATE": "1", "ITINERA_JOB_LEASE_SECONDS": "3",
        "ITINERA_WEBHOOK_RETRY_SECONDS": "0.2,0.2,0.2", "ITINERA_DB_CONNECTIONS": "8",
    ]

    static func send(
        _ client: TestClient, _ method: HTTPRequest.Method, _ path: String, json: Any? = nil, token: String?,
        key: String? = nil
    ) async throws -> TestClient.Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let token { headers[.authorization] = "Bearer \(token)" }
        if let key { headers[HTTPField.Name("Idempotency-Key")!] = key }
        return try await client.execute(.init(path, method: method, headers: headers, body: json.map(JSON.body)))
    }

    /// The server is killed while the receiver holds the answer to a delivery; a server started
    /// after it takes the delivery over once the dead one's lease runs out and sends it again with the
    /// same `webhook-id`. The delivery ends delivered, once in the log.
    @Test func test_killedInTheMiddleOfADelivery_theNextServerSendsItAgain_withTheSameID() async throws {
        let receiver = WebhookReceiver()
        try await receiver.start(hold: { number in
            if number == 0 { try? await Task.sleep(for: .seconds(10)) }
        })
        defer { receiver.stop() }
        try await TestDatabase.with { db in
            let first = try await ServerProcess(database: db.settings, environment: Self.environment)
            let client = first.client()
            let slug = "crash-\(UUID().uuidString.prefix(8).lowercased())"
            let signedUp = try JSON.object(
                try await Self.send(
                    client, .post, "/v1/signup",
                    json: [
                        "tenant": ["name": "Crash", "slug": slug, "kind": "agency"],
                        "owner": ["email": "owner@\(slug).example", "password": "correct horse battery", "name": "O"],
                    ], token: nil
                ).body ?? ByteBuffer())
            let token = (signedUp["session"] as? [String: Any])?["token"] as? String
            let created = try await Self.send(
                client, .post, "/v1/webhook-endpoints", json: ["url": receiver.url, "event_types": ["order.created"]],
                token: token)
            #expect(created.status == .created)
            let endpoint = try JSON.object(created.body ?? ByteBuffer())["id"] as? String ?? ""
            let order = try await Self.send(
                client, .post, "/v1/orders", json: WebhookTests.order(phone: "13800138000", external: "k-1"),
                token: token, key: "k-1")
            #expect(order.status == .created)
            _ = try await receiver.waitFor(1)
            try await client.shutdown()
            #expect(try await first.stop(with: SIGKILL, waitingAtMost: .seconds(10)) != nil)

            let second = try await ServerProcess(database: db.settings, environment: Self.environment)
            defer { _ = Task { try? await second.stop(waitingAtMost: .seconds(10)) } }
            let received = try await receiver.waitFor(2, timeout: .seconds(30))
            #expect(received.count == 2)
            #expect(received[0].id == received[1].id)
            #expect(received[1].body == received[0].body)
            let again = second.client()
            var log: [[String: Any]] = []
            for _ in 0..<100 {
                log =
                    try JSON.object(
                        try await Self.send(again, .get, "/v1/webhook-endpoints/\(endpoint)/deliveries", token: token)
                            .body ?? ByteBuffer())["items"] as? [[String: Any]] ?? []
                if log.first?["state"] as? String == "delivered" { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            try await again.shutdown()
            #expect(log.count == 1)
            #expect(log.first?["state"] as? String == "delivered")
            #expect(log.first?["attempts"] as? Int == 1)
        }
    }
}
