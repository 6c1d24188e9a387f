import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ItineraTestSupport
import Synchronization
import Testing

@testable import Itinera

/// Many events, an unreliable receiver and several workers at once.
@Suite struct WebhookVolumeTests {
    /// 10,000 events of 200 customers, appended through the outbox, delivered by four workers at once
    /// to a receiver that fails one request in ten at random: every event arrives with a signature
    /// the spec's check accepts, each customer's events in the order they happened (none before the
    /// one before it was accepted), and an event is sent again only after a failed attempt.
    @Test func test_10000Events_toAReceiverFailingOneInTen_allArriveInOrderPerCustomer() async throws {
        let receiver = WebhookReceiver()
        try await receiver.start { _, _ in (Int.random(in: 0..<10) == 0 ? 503 : 200, []) }
        defer { receiver.stop() }
        try await TestDatabase.with(connections: 12) { db in
            let parts = db.parts {
                WebhookTests.configure(&$0)
                $0.webhooks.retrySchedule = Array(repeating: .milliseconds(20), count: 9)
            }
            let (customers, perCustomer) = (200, 50)
            let (slug, secret) = try await Application(router: try buildRouter(parts)).test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "volume")
                let endpoint = try await WebhookTests.createEndpoint(client, token: tenant.token, url: receiver.url)
                return (tenant.slug, endpoint.secret)
            }
            let tenantID = try await db.scalar(
                "SELECT id FROM itinera.tenants WHERE slug = \(slug)", as: UUID.self)!
            // Written in rounds, every customer's n-th event in round n, 500 per transaction.
            for round in 0..<perCustomer {
                for batch in stride(from: 0, to: customers, by: 100) {
                    try await db.inTenant(slug) { tenant in
                        let events = try (batch..<batch + 100).map { customer in
                            OutboxEvent(
                                type: "order.created", entityType: "order", entityID: "\(customer)-\(round)",
                                orderingKey: OutboxEvent.customerKey(Int64(customer)),
                                data: try OutboxEvent.json(["customer": "\(customer)", "n": "\(round)"]))
                        }
                        try OutboxStore.append(
                            events, tenant: tenantID, maxAttempts: parts.configuration.webhooks.maxAttempts,
                            on: tenant)
                    }
                }
            }
            let total = customers * perCustomer
            let started = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { workers in
                for _ in 0..<4 {
                    let worker = try makeJobWorker(parts)
                    workers.addTask {
                        while receiver.accepted < total {
                            if ContinuousClock.now - started > .seconds(300) { throw TestSupportError("too slow") }
                            if try await !worker.runNext() { try await Task.sleep(for: .milliseconds(10)) }
                        }
                    }
                }
                try await workers.waitForAll()
            }
            let received = receiver.received
            var accepted: [String: [Int]] = [:]
            var acceptedIDs: Set<String> = []
            var waiting: [String: Int] = [:]
            var resentAfterAcceptance = 0
            for request in received {
                let data = request.json["data"] as? [String: Any] ?? [:]
                let (customer, n) = (data["customer"] as? String ?? "", Int(data["n"] as? String ?? "") ?? -1)
                if let expected = waiting[customer] {
                    #expect(n == expected, "customer \(customer): \(n) jumped \(expected)")
                }
                // An event is sent again only after a failed attempt, never once it was accepted.
                if acceptedIDs.contains(request.id) { resentAfterAcceptance += 1 }
                if request.status == 200 {
                    accepted[customer, default: []].append(n)
                    acceptedIDs.insert(request.id)
                    waiting[customer] = nil
                } else {
                    waiting[customer] = n
                }
            }
            #expect(acceptedIDs.count == total)
            #expect(accepted.count == customers)
            #expect(accepted.values.allSatisfy { $0 == Array(0..<perCustomer) })
            #expect(resentAfterAcceptance == 0)
            #expect(received.count > total)
            #expect(received.allSatisfy { WebhookReceiver.verifies($0, secret: secret) })
            let undelivered = try await db.inTenant(slug) { tenant in
                try await tenant.query("SELECT count(*)::int FROM webhook_deliveries WHERE state <> 'delivered'")
                    .first?.decode(Int.self)
            }
            #expect(undelivered == 0)
        }
    }
}
