import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ItineraTestSupport
import Synchronization
import Testing

@testable import Itinera

/// Webhooks end to end: orders posted through the API, the outbox, the job worker and a real HTTP
/// receiver on this machine.
@Suite struct WebhookTests {
    static func order(phone: String, external: String) -> [String: Any] {
        [
            "customer": ["phone": phone], "amount_minor": 100_000, "currency": "CNY",
            "product": ["name": "Lijiang old town walk"], "ordered_at": "2026-10-01T09:30:00+08:00",
            "external_id": external,
        ]
    }

    static func key(_ value: String) -> HTTPFields { [HTTPField.Name("Idempotency-Key")!: value] }

    /// The test configuration: receivers on this machine, retries 50 ms apart.
    static func configure(_ configuration: inout ServerConfiguration) {
        configuration.webhooks.allowPrivate = true
        configuration.webhooks.retrySchedule = [.milliseconds(50), .milliseconds(50), .milliseconds(50)]
        configuration.jobWorkers = 0
    }

    static func createEndpoint(
        _ client: some TestClientProtocol, token: String, url: String, types: [String] = []
    ) async throws -> (id: String, secret: String) {
        let response = try await client.send(
            .post, "/v1/webhook-endpoints", json: ["url": url, "event_types": types], token: token)
        #expect(response.status == .created, "\(String(buffer: response.body))")
        let body = try JSON.object(response.body)
        return (body["id"] as? String ?? "", body["secret"] as? String ?? "")
    }

    /// Orders of two customers reach the receiver signed, once each, in each customer's order, even
    /// when the receiver fails every first attempt; the delivery log says so.
    @Test func test_ordersReachTheReceiverSigned_inOrderPerCustomer_throughFailures() async throws {
        try await TestDatabase.with { db in
            let parts = db.parts(Self.configure)
            let app = Application(router: try buildRouter(parts))
            let receiver = WebhookReceiver()
            // Every request whose event was not seen before fails once.
            let seen = SeenIDs()
            try await receiver.start { _, headers in
                let id = HTTPField.Name("webhook-id").flatMap { headers[$0] } ?? ""
                return (seen.firstTime(id) ? 500 : 200, [])
            }
            defer { receiver.stop() }
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "hooks")
                let endpoint = try await Self.createEndpoint(
                    client, token: tenant.token, url: receiver.url, types: ["order.created"])
                var expected: [String: [String]] = [:]
                for index in 0..<6 {
                    let phone = index % 2 == 0 ? "13800138000" : "13900139000"
                    let response = try await client.send(
                        .post, "/v1/orders", json: Self.order(phone: phone, external: "x-\(index)"),
                        token: tenant.token, headers: Self.key("k-\(index)"))
                    #expect(response.status == .created)
                    let order = try JSON.object(response.body)
                    expected[order["customer_id"] as? String ?? "", default: []].append(order["id"] as? String ?? "")
                }
                let worker = try makeJobWorker(parts)
                let deadline = ContinuousClock.now + .seconds(30)
                while receiver.accepted < 6, ContinuousClock.now < deadline {
                    if try await !worker.runNext() { try await Task.sleep(for: .milliseconds(20)) }
                }
                let received = receiver.received
                #expect(received.count == 12)
                #expect(received.allSatisfy { WebhookReceiver.verifies($0, secret: endpoint.secret) })
                #expect(
                    !received.contains {
                        WebhookReceiver.verifies($0, secret: "whsec_" + Data(count: 32).base64EncodedString())
                    })
                // Per customer: the delivered orders in the order they were placed, and no order of a
                // customer tried before the one before it was delivered.
                var delivered: [String: [String]] = [:]
                var pending: [String: String] = [:]
                for request in received {
                    let body = request.json
                    #expect(body["type"] as? String == "order.created")
                    #expect(body["id"] as? String == request.id)
                    let data = body["data"] as? [String: Any] ?? [:]
                    let (customer, order) = (data["customer_id"] as? String ?? "", data["id"] as? String ?? "")
                    if let waiting = pending[customer] { #expect(waiting == order, "order \(order) jumped \(waiting)") }
                    if request.status == 200 {
                        delivered[customer, default: []].append(order)
                        pending[customer] = nil
                    } else {
                        pending[customer] = order
                    }
                }
                #expect(delivered == expected)
                let log = try JSON.object(
                    try await client.send(
                        .get, "/v1/webhook-endpoints/\(endpoint.id)/deliveries", token: tenant.token
                    ).body)
                let items = log["items"] as? [[String: Any]] ?? []
                #expect(items.count == 6)
                #expect(items.allSatisfy { $0["state"] as? String == "delivered" && $0["attempts"] as? Int == 2 })
            }
        }
    }

    /// A `410 Gone` disables the endpoint: the tenant sees it in the audit trail, and the deliveries
    /// after it are not sent.
    @Test func test_410Gone_disablesTheEndpoint_andIsAudited() async throws {
        try await TestDatabase.with { db in
            let parts = db.parts(Self.configure)
            let app = Application(router: try buildRouter(parts))
            let receiver = WebhookReceiver()
            try await receiver.start { _, _ in (410, []) }
            defer { receiver.stop() }
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "gone")
                let endpoint = try await Self.createEndpoint(client, token: tenant.token, url: receiver.url)
                // The customer's creation, then two orders: the first delivery meets the 410.
                for index in 0..<2 {
                    _ = try await client.send(
                        .post, "/v1/orders", json: Self.order(phone: "13800138000", external: "g-\(index)"),
                        token: tenant.token, headers: Self.key("g-\(index)"))
                }
                _ = try await makeJobWorker(parts).drain()
                #expect(receiver.received.count == 1)
                let shown = try JSON.object(
                    try await client.send(.get, "/v1/webhook-endpoints/\(endpoint.id)", token: tenant.token).body)
                #expect(shown["state"] as? String == "disabled")
                #expect(shown["disabled_reason"] as? String == "the receiver answered 410 Gone")
                let audit = try JSON.object(
                    try await client.send(.get, "/v1/audit-events", token: tenant.token).body)
                let actions = (audit["items"] as? [[String: Any]] ?? []).compactMap { $0["action"] as? String }
                #expect(actions.contains("webhook_endpoint.disable"))
                let log = try JSON.object(
                    try await client.send(
                        .get, "/v1/webhook-endpoints/\(endpoint.id)/deliveries", token: tenant.token
                    ).body)
                let states = (log["items"] as? [[String: Any]] ?? []).compactMap { $0["state"] as? String }
                #expect(states.sorted() == ["failed", "failed", "failed"])
                #expect(receiver.received.first?.json["type"] as? String == "customer.created")
            }
        }
    }
}

extension WebhookTests {
    /// A customer's creation and erasure reach an endpoint that asked for them, in that order; an
    /// order's events do not.
    @Test func test_customerCreatedAndErased_reachTheEndpointThatAskedForThem() async throws {
        try await TestDatabase.with { db in
            let parts = db.parts(Self.configure)
            let receiver = WebhookReceiver()
            try await receiver.start()
            defer { receiver.stop() }
            try await Application(router: try buildRouter(parts)).test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "lifecycle")
                _ = try await Self.createEndpoint(
                    client, token: tenant.token, url: receiver.url, types: ["customer.created", "customer.erased"])
                let created = try await client.send(
                    .post, "/v1/customers", json: ["phone": "13800138000", "name": "李娜"], token: tenant.token)
                let id = try JSON.object(created.body)["id"] as? String ?? ""
                _ = try await client.send(
                    .post, "/v1/orders", json: Self.order(phone: "13800138000", external: "c-1"),
                    token: tenant.token, headers: Self.key("c-1"))
                #expect(try await client.send(.delete, "/v1/customers/\(id)", token: tenant.token).status == .noContent)
                _ = try await makeJobWorker(parts).drain()
                let events = receiver.received.map {
                    ($0.json["type"] as? String ?? "", $0.json["entity"] as? [String: String])
                }
                #expect(events.map(\.0) == ["customer.created", "customer.erased"])
                #expect(events.allSatisfy { $0.1 == ["type": "customer", "id": id] })
                let data = receiver.received.first?.json["data"] as? [String: String]
                #expect(data == ["id": id, "source": "api"])
            }
        }
    }
}

/// Event ids a receiver has seen.
final class SeenIDs: Sendable {
    private let ids = Mutex<Set<String>>([])
    func firstTime(_ id: String) -> Bool { ids.withLock { $0.insert(id).inserted } }
}
