import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ItineraTestSupport
import Testing

@testable import Itinera

@Suite struct OutboxEventTests {
    /// Outbox ids are UUIDs of version 7 (RFC 9562): version and variant bits set, the time first, so
    /// a later id sorts after an earlier one.
    @Test func test_idsAreTimeOrderedVersion7() {
        let earlier = OutboxEvent.timeOrderedID(at: Date(timeIntervalSince1970: 1_796_000_000))
        let later = OutboxEvent.timeOrderedID(at: Date(timeIntervalSince1970: 1_796_000_000.002))
        #expect(earlier.uuidString.lowercased().hasPrefix("01a2"))
        #expect(Array(earlier.uuidString)[14] == "7")
        #expect(["8", "9", "A", "B"].contains(Array(earlier.uuidString)[19]))
        #expect(earlier.uuidString < later.uuidString)
        #expect(earlier != OutboxEvent.timeOrderedID(at: Date(timeIntervalSince1970: 1_796_000_000)))
    }
}

@Suite struct WebhookFailureTests {
    /// A `503` with `Retry-After` is tried again after the receiver's wait, not the schedule's; an
    /// endpoint whose deliveries have all failed for five days is disabled by the next failure, and
    /// the tenant is told (an audit entry by the system, an event to its other endpoints).
    @Test func test_retryAfterIsHonoured_andFiveDaysOfFailuresDisable() async throws {
        let receiver = WebhookReceiver()
        try await receiver.start { _, _ in (503, [("Retry-After", "7")]) }
        defer { receiver.stop() }
        let watcher = WebhookReceiver()
        try await watcher.start()
        defer { watcher.stop() }
        try await TestDatabase.with { db in
            let parts = db.parts(WebhookTests.configure)
            try await Application(router: try buildRouter(parts)).test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "failing")
                let endpoint = try await WebhookTests.createEndpoint(
                    client, token: tenant.token, url: receiver.url, types: ["order.created"])
                _ = try await WebhookTests.createEndpoint(
                    client, token: tenant.token, url: watcher.url, types: ["webhook_endpoint.disabled"])
                try await WebhookEndpointTests.postOrder(client, tenant.token, 1)
                _ = try await makeJobWorker(parts).drain()
                var log = try await WebhookEndpointTests.deliveries(client, tenant.token, endpoint.id)
                #expect(log.first?["state"] as? String == "pending")
                let wait = try await db.inTenant(tenant.slug) { connection in
                    try await connection.query(
                        "SELECT extract(epoch FROM next_attempt_at - last_attempt_at)::float8 FROM webhook_deliveries"
                    ).first?.decode(Double.self)
                }
                #expect(wait.map { $0 > 6.5 && $0 < 7.5 } == true, "\(String(describing: wait))")

                // Failing since six days: the next failure disables the endpoint.
                try await db.inTenant(tenant.slug) { connection in
                    try await connection.execute(
                        "UPDATE webhook_endpoints SET failing_since = now() - interval '6 days' WHERE url = \(receiver.url)"
                    )
                }
                try await db.client.execute(
                    "UPDATE itinera.jobs SET run_after = now() WHERE kind = 'webhook.deliver' AND state = 'queued'",
                    logger: db.logger)
                _ = try await makeJobWorker(parts).drain()
                let shown = try JSON.object(
                    try await client.send(.get, "/v1/webhook-endpoints/\(endpoint.id)", token: tenant.token).body)
                #expect(shown["state"] as? String == "disabled")
                #expect((shown["disabled_reason"] as? String ?? "").hasPrefix("every delivery has failed since"))
                log = try await WebhookEndpointTests.deliveries(client, tenant.token, endpoint.id)
                #expect(log.first?["attempts"] as? Int == 2)
                let told = watcher.received.first?.json
                #expect(told?["type"] as? String == "webhook_endpoint.disabled")
                #expect((told?["data"] as? [String: Any])?["endpoint_id"] as? String == endpoint.id)
                let audit = try JSON.object(try await client.send(.get, "/v1/audit-events", token: tenant.token).body)
                let disabling = (audit["items"] as? [[String: Any]] ?? []).first {
                    $0["action"] as? String == "webhook_endpoint.disable"
                }
                #expect(disabling?["actor_type"] as? String == "system")
            }
        }
    }
}

@Suite struct WebhookReplayLimitTests {
    /// A replay over a range holding more events than the limit queues nothing; the delivery log
    /// pages through every delivery once, cursor after cursor.
    @Test func test_aRangeOverTheLimitQueuesNothing_andTheLogPagesThroughEveryDeliveryOnce() async throws {
        try await TestDatabase.with { db in
            let parts = db.parts(WebhookTests.configure)
            try await Application(router: try buildRouter(parts)).test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "replaylimit")
                let endpoint = try await WebhookTests.createEndpoint(
                    client, token: tenant.token, url: "https://hooks.example.com/x", types: ["order.created"])
                for index in 0..<3 { try await WebhookEndpointTests.postOrder(client, tenant.token, index) }
                let (since, until) = (Date().addingTimeInterval(-3600), Date().addingTimeInterval(60))
                let counts = try await db.inTenant(tenant.slug) { connection in
                    let stored = try #require(
                        try await WebhookStore.find(UUID(uuidString: endpoint.id)!, on: connection))
                    let over = try await WebhookDeliveryStore.replay(
                        endpoint: stored, since: since, until: until, limit: 2,
                        tenantID: UUID(uuidString: tenant.id)!, maxAttempts: 3, on: connection)
                    let within = try await WebhookDeliveryStore.replay(
                        endpoint: stored, since: since, until: until, limit: 3,
                        tenantID: UUID(uuidString: tenant.id)!, maxAttempts: 3, on: connection)
                    return (over, within)
                }
                #expect(counts.0 == (found: 3, queued: 0))
                #expect(counts.1 == (found: 3, queued: 3))
                var seen: [String] = []
                var cursor: String?
                repeat {
                    let path =
                        "/v1/webhook-endpoints/\(endpoint.id)/deliveries?limit=1"
                        + (cursor.map { "&cursor=\($0)" } ?? "")
                    let page = try JSON.object(try await client.send(.get, path, token: tenant.token).body)
                    seen += (page["items"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
                    cursor = page["next_cursor"] as? String
                } while cursor != nil && seen.count < 20
                #expect(seen.count == 6)
                #expect(Set(seen).count == 6)
            }
        }
    }
}
