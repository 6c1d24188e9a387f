import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ItineraTestSupport
import NIOCore
import Testing

@testable import Itinera

/// Webhook endpoints as admins manage them, and where the server refuses to send.
@Suite struct WebhookEndpointTests {
    /// Runs the queue until no job is queued or running, retries included (at most 30 s).
    static func drain(_ parts: ApplicationParts) async throws {
        let worker = try makeJobWorker(parts)
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if try await worker.runNext() { continue }
            let open =
                try await parts.client.query(
                    "SELECT count(*)::int FROM itinera.jobs WHERE state IN ('queued', 'running')", logger: parts.logger
                ).first?.decode(Int.self) ?? 0
            if open == 0 { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestSupportError("jobs were still queued after 30 s")
    }

    static func deliveries(_ client: some TestClientProtocol, _ token: String, _ endpoint: String) async throws
        -> [[String: Any]]
    {
        let log = try JSON.object(
            try await client.send(.get, "/v1/webhook-endpoints/\(endpoint)/deliveries", token: token).body)
        return log["items"] as? [[String: Any]] ?? []
    }

    static func postOrder(_ client: some TestClientProtocol, _ token: String, _ index: Int) async throws {
        let response = try await client.send(
            .post, "/v1/orders", json: WebhookTests.order(phone: "13800138000", external: "e-\(index)"),
            token: token, headers: WebhookTests.key("e-\(index)"))
        #expect(response.status == .created)
    }

    @Test func test_addressesAreJudgedByWhatTheyAre() throws {
        func kind(_ text: String) throws -> AddressPolicy.Kind {
            AddressPolicy.kind(of: try SocketAddress(ipAddress: text, port: 443))
        }
        #expect(try kind("93.184.216.34") == .global)
        #expect(try kind("127.0.0.1") == .loopback)
        #expect(try kind("10.1.2.3") == .privateNetwork)
        #expect(try kind("172.20.0.1") == .privateNetwork)
        #expect(try kind("192.168.1.1") == .privateNetwork)
        #expect(try kind("100.64.0.1") == .privateNetwork)
        #expect(try kind("169.254.10.1") == .linkLocal)
        #expect(try kind("169.254.169.254") == .metadata)
        #expect(try kind("100.100.100.200") == .metadata)
        #expect(try kind("0.0.0.0") == .unusable)
        #expect(try kind("224.0.0.1") == .unusable)
        #expect(try kind("2606:4700::1111") == .global)
        #expect(try kind("::1") == .loopback)
        #expect(try kind("::") == .unusable)
        #expect(try kind("fd12:3456::1") == .privateNetwork)
        #expect(try kind("fe80::1") == .linkLocal)
        #expect(try kind("fd00:ec2::254") == .metadata)
        #expect(try kind("::ffff:127.0.0.1") == .loopback)
        #expect(try kind("::ffff:169.254.169.254") == .metadata)
        for kind in [AddressPolicy.Kind.linkLocal, .metadata, .unusable] {
            #expect(!AddressPolicy.allows(kind, allowPrivate: true))
        }
        #expect(!AddressPolicy.allows(.loopback, allowPrivate: false))
        #expect(AddressPolicy.allows(.loopback, allowPrivate: true))
    }

    /// Without `webhook_allow_private`, plain http is refused when the endpoint is saved, and a name
    /// that resolves to this machine is refused when the server connects; with it, cloud metadata
    /// and link-local addresses are still refused.
    @Test func test_privateAndMetadataAddresses_areRefusedWhenConnecting() async throws {
        let receiver = WebhookReceiver()
        try await receiver.start()
        defer { receiver.stop() }
        let port = URL(string: receiver.url)!.port!
        try await TestDatabase.with { db in
            let strict = db.parts {
                WebhookTests.configure(&$0)
                $0.webhooks.allowPrivate = false
            }
            try await Application(router: try buildRouter(strict)).test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "ssrf")
                let plain = try await client.send(
                    .post, "/v1/webhook-endpoints", json: ["url": receiver.url], token: tenant.token)
                #expect(plain.status == .unprocessableContent)
                #expect(try JSON.object(plain.body)["field"] as? String == "url")
                let local = try await WebhookTests.createEndpoint(
                    client, token: tenant.token, url: "https://localhost:\(port)/hook", types: ["order.created"])
                try await Self.postOrder(client, tenant.token, 1)
                try await Self.drain(strict)
                let tried = try await Self.deliveries(client, tenant.token, local.id)
                #expect(tried.count == 1)
                #expect((tried.first?["last_error"] as? String ?? "").contains("loopback"))
                #expect(tried.first?["state"] as? String == "failed")
            }
            let open = db.parts(WebhookTests.configure)
            try await Application(router: try buildRouter(open)).test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "meta")
                let orders = ["order.created"]
                let metadata = try await WebhookTests.createEndpoint(
                    client, token: tenant.token, url: "http://169.254.169.254/latest/meta-data/", types: orders)
                let linkLocal = try await WebhookTests.createEndpoint(
                    client, token: tenant.token, url: "http://[fe80::1]:\(port)/hook", types: orders)
                let loopback = try await WebhookTests.createEndpoint(
                    client, token: tenant.token, url: receiver.url, types: orders)
                try await Self.postOrder(client, tenant.token, 2)
                try await Self.drain(open)
                for (endpoint, words) in [(metadata, "metadata"), (linkLocal, "linkLocal")] {
                    let tried = try await Self.deliveries(client, tenant.token, endpoint.id)
                    #expect((tried.first?["last_error"] as? String ?? "").contains(words), "\(tried)")
                    #expect(tried.first?["state"] as? String == "failed")
                }
                let delivered = try await Self.deliveries(client, tenant.token, loopback.id)
                #expect(delivered.first?["state"] as? String == "delivered")
                #expect(receiver.received.count == 1)
            }
        }
    }

    /// A rotated secret signs beside the new one; a replay sends the same event again with the same
    /// `webhook-id`, one delivery or a time range of them, and is audited.
    @Test func test_rotationSignsWithBothSecrets_andReplaysResendTheSameEvents() async throws {
        let receiver = WebhookReceiver()
        try await receiver.start()
        defer { receiver.stop() }
        try await TestDatabase.with { db in
            let parts = db.parts(WebhookTests.configure)
            try await Application(router: try buildRouter(parts)).test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "rotate")
                let endpoint = try await WebhookTests.createEndpoint(
                    client, token: tenant.token, url: receiver.url, types: ["order.created"])
                try await Self.postOrder(client, tenant.token, 1)
                try await Self.drain(parts)
                let rotated = try await client.send(
                    .post, "/v1/webhook-endpoints/\(endpoint.id)/rotate-secret", token: tenant.token)
                #expect(rotated.status == .ok)
                let secret = try JSON.object(rotated.body)["secret"] as? String ?? ""
                #expect(secret.hasPrefix("whsec_") && secret != endpoint.secret)
                try await Self.postOrder(client, tenant.token, 2)
                try await Self.drain(parts)
                let (first, second) = (receiver.received[0], receiver.received[1])
                #expect(first.signature.split(separator: " ").count == 1)
                #expect(second.signature.split(separator: " ").count == 2)
                #expect(WebhookReceiver.verifies(second, secret: secret))
                #expect(WebhookReceiver.verifies(second, secret: endpoint.secret))
                #expect(!WebhookReceiver.verifies(first, secret: secret))

                let log = try await Self.deliveries(client, tenant.token, endpoint.id)
                let oldest = log.last?["id"] as? String ?? ""
                let replayed = try await client.send(
                    .post, "/v1/webhook-endpoints/\(endpoint.id)/deliveries/\(oldest)/replay", token: tenant.token)
                #expect(replayed.status == .accepted)
                #expect(try JSON.object(replayed.body)["replay_of"] as? String == oldest)
                try await Self.drain(parts)
                #expect(receiver.received.count == 3)
                #expect(receiver.received[2].id == first.id)
                #expect(receiver.received[2].body == first.body)

                let range = try await client.send(
                    .post, "/v1/webhook-endpoints/\(endpoint.id)/replay",
                    json: [
                        "since": Date().addingTimeInterval(-3600).formatted(.iso8601),
                        "until": Date().addingTimeInterval(60).formatted(.iso8601),
                    ], token: tenant.token)
                #expect(range.status == .accepted)
                #expect(try JSON.object(range.body)["queued"] as? Int == 2)
                try await Self.drain(parts)
                #expect(receiver.received.suffix(2).map(\.id) == [first.id, second.id])
                let audit = try JSON.object(try await client.send(.get, "/v1/audit-events", token: tenant.token).body)
                let actions = Set((audit["items"] as? [[String: Any]] ?? []).compactMap { $0["action"] as? String })
                #expect(
                    actions.isSuperset(of: [
                        "webhook_endpoint.create", "webhook_endpoint.rotate_secret", "webhook_delivery.replay",
                        "webhook_endpoint.replay",
                    ]))
            }
        }
    }

    /// What admins write is checked: the field at fault is named, and nothing is written.
    @Test func test_badEndpoints_are4xxNamingTheField() async throws {
        try await TestDatabase.with { db in
            let parts = db.parts { $0.jobWorkers = 0 }
            try await Application(router: try buildRouter(parts)).test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "badhook")
                for (body, field) in [
                    (["url": "ftp://hooks.example.com/"], "url"),
                    (["url": "https:///nohost"], "url"),
                    (["url": "https://user:pw@hooks.example.com/"], "url"),
                    (
                        ["url": "https://hooks.example.com/", "event_types": ["order.created", "order.eaten"]],
                        "event_types"
                    ),
                    (
                        ["url": "https://hooks.example.com/", "description": String(repeating: "x", count: 501)],
                        "description"
                    ),
                ] as [([String: Any], String)] {
                    let response = try await client.send(
                        .post, "/v1/webhook-endpoints", json: body, token: tenant.token)
                    #expect(response.status == .unprocessableContent || response.status == .badRequest, "\(body)")
                    let problem = try JSON.object(response.body)
                    #expect((problem["field"] as? String ?? "").hasPrefix(field), "\(body): \(problem)")
                }
                let list = try JSON.object(
                    try await client.send(.get, "/v1/webhook-endpoints", token: tenant.token).body)
                #expect((list["items"] as? [Any])?.isEmpty == true)
                for index in 0..<WebhookEndpoint.maxPerTenant {
                    _ = try await WebhookTests.createEndpoint(
                        client, token: tenant.token, url: "https://hooks.example.com/\(index)")
                }
                let over = try await client.send(
                    .post, "/v1/webhook-endpoints", json: ["url": "https://hooks.example.com/x"], token: tenant.token)
                #expect(over.status == .conflict)
                let first = try JSON.object(
                    try await client.send(.get, "/v1/webhook-endpoints?limit=1", token: tenant.token).body)
                let id = (first["items"] as? [[String: Any]])?.first?["id"] as? String ?? ""
                let wide = try await client.send(
                    .post, "/v1/webhook-endpoints/\(id)/replay",
                    json: ["since": "2026-01-01T00:00:00Z", "until": "2026-03-01T00:00:00Z"], token: tenant.token)
                #expect(wide.status == .unprocessableContent)
                #expect(try JSON.object(wide.body)["field"] as? String == "until")
                let missing = try await client.send(
                    .get, "/v1/webhook-endpoints/\(UUID().uuidString)", token: tenant.token)
                #expect(missing.status == .notFound)
                let disabled = try await client.send(
                    .patch, "/v1/webhook-endpoints/\(id)", json: ["enabled": false], token: tenant.token)
                #expect(try JSON.object(disabled.body)["state"] as? String == "disabled")
                let analyst = try await client.addUser(token: tenant.token, role: "analyst")
                #expect(
                    try await client.send(.get, "/v1/webhook-endpoints", token: analyst.token).status == .ok)
                #expect(
                    try await client.send(
                        .post, "/v1/webhook-endpoints", json: ["url": "https://hooks.example.com/a"],
                        token: analyst.token
                    ).status == .forbidden)
            }
        }
    }
}
