import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ItineraTestSupport
import Testing

@testable import Itinera

/// Messages to customers end to end: the API, consent per channel and purpose, the job worker, a
/// real SMTP server (aiosmtpd), the one-click unsubscribe, tracked clicks and the timeline.
@Suite struct MessageTests {
    static func configure(smtp port: Int) -> (inout ServerConfiguration) -> Void {
        MessageTesting.configure(smtp: port)
    }

    static let offer = [
        "channel": "email", "purpose": "marketing", "subject": "{{customer.first_name}}, we miss you",
        "body": "Come back to {{offer.place}}: https://example.com/offer?id=7. Details (https://example.com/terms).",
    ]

    static func customer(_ client: some TestClientProtocol, token: String, email: String, consents: [String: Any] = [:])
        async throws -> String
    {
        try await customerID(client, ["email": email, "name": "Wei Zhang", "consents": consents], token: token)
    }

    static func customerID(_ client: some TestClientProtocol, _ body: [String: Any], token: String) async throws
        -> String
    {
        let response = try await client.send(.post, "/v1/customers", json: body, token: token)
        #expect(response.status == .created || response.status == .ok, "\(String(buffer: response.body))")
        return try JSON.object(response.body)["id"] as? String ?? ""
    }

    static func send(
        _ client: some TestClientProtocol, token: String, customer: String, template: String = "offer",
        key: String? = nil
    ) async throws -> TestResponse {
        try await client.send(
            .post, "/v1/messages",
            json: ["customer_id": customer, "template": template, "offer": ["place": "Lijiang"]],
            token: token, headers: key.map { [HTTPField.Name("Idempotency-Key")!: $0] } ?? [:])
    }

    /// No consent, no message; with it, the e-mail arrives once (a retried request queues nothing)
    /// with the one-click unsubscribe headers and tracked links; the click redirects and counts; the
    /// one-click POST withdraws the consent at once, on the timeline, and the next send is refused.
    @Test func test_marketingEmail_needsConsent_carriesOneClickUnsubscribe_whichWithdrawsIt() async throws {
        let smtp = try await SMTPServerProcess()
        defer { smtp.stop() }
        try await TestDatabase.with { db in
            let parts = db.parts(Self.configure(smtp: smtp.port))
            let app = Application(router: try buildRouter(parts))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "msg")
                #expect(
                    try await client.send(.put, "/v1/message-templates/offer", json: Self.offer, token: tenant.token)
                        .status == .created)
                let id = try await Self.customer(client, token: tenant.token, email: "wei@example.com")

                let refused = try await Self.send(client, token: tenant.token, customer: id)
                #expect(refused.status == .unprocessableContent)
                let problem = try JSON.object(refused.body)
                #expect(problem["field"] as? String == "template")
                #expect((problem["detail"] as? String)?.contains("has not consented to marketing messages") == true)
                #expect(try await db.tenantCount("messages", tenant: tenant.slug) == 0)

                // Consent to service messages only is not consent to marketing.
                _ = try await client.send(
                    .patch, "/v1/customers/\(id)",
                    json: ["consents": ["email": ["granted": true, "purpose": "service"]]], token: tenant.token)
                #expect(
                    try await Self.send(client, token: tenant.token, customer: id).status == .unprocessableContent)
                _ = try await client.send(
                    .patch, "/v1/customers/\(id)",
                    json: ["consents": ["email": ["granted": true, "purpose": "marketing", "source": "signup-form"]]],
                    token: tenant.token)

                let queued = try await Self.send(client, token: tenant.token, customer: id, key: "offer-1")
                #expect(queued.status == .accepted, "\(String(buffer: queued.body))")
                let message = try JSON.object(queued.body)
                #expect(message["state"] as? String == "queued")
                #expect(message["subject"] as? String == "Wei, we miss you")
                #expect(
                    message["links"] as? [String] == ["https://example.com/offer?id=7", "https://example.com/terms"])
                let again = try await Self.send(client, token: tenant.token, customer: id, key: "offer-1")
                #expect(again.status == .accepted)
                #expect(try JSON.object(again.body)["id"] as? String == message["id"] as? String)
                #expect(try await db.tenantCount("messages", tenant: tenant.slug) == 1)

                #expect(try await makeJobWorker(parts).drain() == 1)
                let mails = smtp.messages
                #expect(mails.count == 1)
                let mail = try #require(mails.first)
                #expect(mail.recipients == ["wei@example.com"])
                #expect(mail.header("List-Unsubscribe-Post") == "List-Unsubscribe=One-Click")
                let unsubscribe = try #require(mail.header("List-Unsubscribe"))
                #expect(unsubscribe.hasPrefix("<https://crm.itinera.test/u/") && unsubscribe.hasSuffix(">"))
                let text = mail.text
                #expect(!text.contains("https://example.com/offer"))
                #expect(text.contains("Come back to Lijiang: https://crm.itinera.test/r/"))
                #expect(text.contains(unsubscribe.dropFirst().dropLast()))

                let sent = try JSON.object(
                    try await client.send(.get, "/v1/messages/\(message["id"] as! String)", token: tenant.token).body)
                #expect(sent["state"] as? String == "sent")
                #expect(sent["sent_at"] != nil)

                // The tracked link redirects to the link and counts the click.
                let click = try #require(Self.paths(in: text, prefix: "/r/").first)
                let redirected = try await client.send(.get, click)
                #expect(redirected.status == .found)
                #expect(redirected.headers[.location] == "https://example.com/offer?id=7")
                #expect(try await client.send(.get, click).status == .found)
                let clicked = try JSON.object(
                    try await client.send(.get, "/v1/messages/\(message["id"] as! String)", token: tenant.token).body)
                #expect(clicked["clicks"] as? Int == 2 && clicked["first_click_at"] != nil)

                // A token changed by one character is not the server's.
                var forged = Array(click)
                forged[forged.count - 1] = forged.last == "A" ? "B" : "A"
                #expect(try await client.send(.get, String(forged)).status == .notFound)

                // The one-click POST (RFC 8058) withdraws the marketing consent at once.
                let path = String(unsubscribe.dropFirst("<https://crm.itinera.test".count).dropLast())
                let page = try await client.send(.get, path)
                #expect(page.status == .ok && String(buffer: page.body).contains("<form method=\"post\""))
                let oneClick = try await client.execute(
                    uri: path, method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                    body: ByteBuffer(string: "List-Unsubscribe=One-Click"))
                #expect(oneClick.status == .ok)
                #expect(try await client.execute(uri: path, method: .post).status == .ok)
                let view = try JSON.object(try await client.send(.get, "/v1/customers/\(id)", token: tenant.token).body)
                let consents = view["consents"] as? [[String: Any]] ?? []
                let email = consents.filter { $0["channel"] as? String == "email" }
                #expect(email.first { $0["purpose"] as? String == "marketing" }?["granted"] as? Bool == false)
                #expect(email.first { $0["purpose"] as? String == "service" }?["granted"] as? Bool == true)

                let timeline = try JSON.object(
                    try await client.send(.get, "/v1/customers/\(id)/timeline", token: tenant.token).body)
                let entries = timeline["items"] as? [[String: Any]] ?? []
                let withdrawals = entries.filter {
                    $0["kind"] as? String == "consent" && ($0["data"] as? [String: Any])?["granted"] as? Bool == false
                }
                #expect(withdrawals.count == 1)
                #expect(
                    ((withdrawals.first?["data"] as? [String: Any])?["source"] as? String)?.hasPrefix(
                        "unsubscribe link") == true)
                let sentEntry = entries.first { $0["kind"] as? String == "message" }
                #expect((sentEntry?["data"] as? [String: Any])?["state"] as? String == "sent")

                let after = try await Self.send(client, token: tenant.token, customer: id)
                #expect(after.status == .unprocessableContent)
                #expect((try JSON.object(after.body)["detail"] as? String)?.contains("has withdrawn consent") == true)

                let types = try await db.inTenant(tenant.slug) { connection in
                    try await connection.query("SELECT type FROM outbox_events ORDER BY position").collect().map {
                        try $0.decode(String.self)
                    }
                }
                #expect(
                    types.filter { $0.hasPrefix("message.") || $0 == "customer.unsubscribed" } == [
                        "message.sent", "message.clicked", "customer.unsubscribed",
                    ])
            }
        }
    }

    /// A withdrawal between queueing and sending suppresses the message; a recipient the mail
    /// server refuses bounces; erasure removes what messages said and where they went.
    @Test func test_withdrawalBeforeSending_suppresses_aRefusedRecipientBounces_andErasureScrubs() async throws {
        let smtp = try await SMTPServerProcess(options: ["--refuse", "nobody"])
        defer { smtp.stop() }
        try await TestDatabase.with { db in
            let parts = db.parts(Self.configure(smtp: smtp.port))
            let app = Application(router: try buildRouter(parts))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "msg")
                _ = try await client.send(.put, "/v1/message-templates/offer", json: Self.offer, token: tenant.token)
                let granted: [String: Any] = ["email": ["granted": true]]
                let first = try await Self.customer(
                    client, token: tenant.token, email: "li@example.com", consents: granted)
                let second = try await Self.customer(
                    client, token: tenant.token, email: "nobody@example.com", consents: granted)
                let suppressed = try JSON.object(try await Self.send(client, token: tenant.token, customer: first).body)
                let bounced = try JSON.object(try await Self.send(client, token: tenant.token, customer: second).body)
                _ = try await client.send(
                    .patch, "/v1/customers/\(first)",
                    json: ["consents": ["email": ["granted": false, "purpose": "marketing"]]], token: tenant.token)
                _ = try await makeJobWorker(parts).drain()
                #expect(smtp.messages.isEmpty)
                let one = try JSON.object(
                    try await client.send(.get, "/v1/messages/\(suppressed["id"] as! String)", token: tenant.token).body
                )
                #expect(one["state"] as? String == "suppressed")
                #expect((one["state_reason"] as? String)?.contains("consent") == true)
                let two = try JSON.object(
                    try await client.send(.get, "/v1/messages/\(bounced["id"] as! String)", token: tenant.token).body)
                #expect(two["state"] as? String == "bounced" && two["bounced_at"] != nil)
                #expect((two["state_reason"] as? String)?.contains("550") == true)

                let listed = try JSON.object(
                    try await client.send(.get, "/v1/messages?state=bounced", token: tenant.token).body)
                #expect(
                    (listed["items"] as? [[String: Any]])?.map { $0["id"] as? String } == [bounced["id"] as? String])

                #expect(
                    try await client.send(.delete, "/v1/customers/\(second)", token: tenant.token).status == .noContent)
                let erased = try JSON.object(
                    try await client.send(.get, "/v1/messages/\(bounced["id"] as! String)", token: tenant.token).body)
                #expect(erased["address"] == nil && erased["body"] == nil && erased["subject"] == nil)
                #expect(erased["state"] as? String == "bounced")
            }
        }
    }

    /// SMS through the gateway: a signed JSON POST a receiver written from the Standard Webhooks
    /// spec verifies; the gateway's report through the status URL marks it delivered; a channel the
    /// server is not configured for is a 422.
    @Test func test_smsThroughTheSignedGateway_andItsDeliveryReport() async throws {
        let gateway = WebhookReceiver()
        try await gateway.start()
        defer { gateway.stop() }
        let secret = "whsec_" + Data((0..<32).map { UInt8($0) }).base64EncodedString()
        try await TestDatabase.with { db in
            let parts = db.parts { configuration in
                configuration.jobWorkers = 0
                configuration.messages.publicURL = "https://crm.itinera.test"
            }
            let app = Application(router: try buildRouter(parts))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "sms")
                _ = try await client.send(
                    .put, "/v1/message-templates/reminder",
                    json: ["channel": "sms", "purpose": "service", "body": "{{customer.first_name}}: leave at 8"],
                    token: tenant.token)
                let id = try await Self.customerID(
                    client, ["phone": "13800138000", "name": "Wei", "consents": ["sms": ["granted": true]]],
                    token: tenant.token)
                let unconfigured = try await Self.send(client, token: tenant.token, customer: id, template: "reminder")
                #expect(unconfigured.status == .unprocessableContent)
                #expect((try JSON.object(unconfigured.body)["detail"] as? String)?.contains("not configured") == true)
            }
            var adjusted = parts
            adjusted.configuration.messages.gatewayURL = gateway.url
            adjusted.configuration.messages.gatewaySecret = secret
            let withGateway = adjusted
            let app2 = Application(router: try buildRouter(withGateway))
            try await app2.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "sms")
                _ = try await client.send(
                    .put, "/v1/message-templates/reminder",
                    json: ["channel": "sms", "purpose": "service", "body": "{{customer.first_name}}: leave at 8"],
                    token: tenant.token)
                let id = try await Self.customerID(
                    client, ["phone": "13800138000", "name": "Wei", "consents": ["sms": ["granted": true]]],
                    token: tenant.token)
                let queued = try await Self.send(client, token: tenant.token, customer: id, template: "reminder")
                #expect(queued.status == .accepted, "\(String(buffer: queued.body))")
                let message = try JSON.object(queued.body)["id"] as! String
                #expect(try await makeJobWorker(withGateway).drain() == 1)
                let received = try #require(gateway.received.first)
                #expect(gateway.received.count == 1)
                #expect(WebhookReceiver.verifies(received, secret: secret))
                let body = received.json
                #expect(body["channel"] as? String == "sms" && body["to"] as? String == "+8613800138000")
                #expect(body["text"] as? String == "Wei: leave at 8")
                let statusURL = try #require(body["status_url"] as? String)
                #expect(statusURL.hasPrefix("https://crm.itinera.test/m/"))
                let path = String(statusURL.dropFirst("https://crm.itinera.test".count))

                #expect(try await client.send(.post, path, json: ["status": "lost"]).status == .unprocessableContent)
                #expect(try await client.send(.post, path, json: ["status": "delivered"]).status == .noContent)
                let delivered = try JSON.object(
                    try await client.send(.get, "/v1/messages/\(message)", token: tenant.token).body)
                #expect(delivered["state"] as? String == "delivered" && delivered["delivered_at"] != nil)
                // A late report of another fate does not move a delivered message back.
                #expect(try await client.send(.post, path, json: ["status": "failed"]).status == .noContent)
                let still = try JSON.object(
                    try await client.send(.get, "/v1/messages/\(message)", token: tenant.token).body)
                #expect(still["state"] as? String == "delivered")
            }
        }
    }

    /// A gateway's 4xx is a refusal for good: the message is `failed` after one attempt. A 503 is
    /// tried again on the schedule until the attempts run out, and then the message is `failed`
    /// with how many were made.
    @Test func test_aGatewayRefusalFailsAtOnce_andA503FailsWhenTheAttemptsRunOut() async throws {
        let gateway = WebhookReceiver()
        // The first message's request is refused with a 400; every later request answers 503.
        try await gateway.start(respond: { number, _ in (number == 0 ? 400 : 503, []) })
        defer { gateway.stop() }
        let secret = "whsec_" + Data((0..<32).map { UInt8($0) }).base64EncodedString()
        try await TestDatabase.with { db in
            let parts = db.parts { configuration in
                configuration.jobWorkers = 0
                configuration.messages.publicURL = "https://crm.itinera.test"
                configuration.messages.gatewayURL = gateway.url
                configuration.messages.gatewaySecret = secret
                configuration.webhooks.allowPrivate = true
                configuration.webhooks.retrySchedule = [.milliseconds(10), .milliseconds(10)]
            }
            let app = Application(router: try buildRouter(parts))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "smsfail")
                _ = try await client.send(
                    .put, "/v1/message-templates/reminder",
                    json: ["channel": "sms", "purpose": "service", "body": "Leave at 8"], token: tenant.token)
                let id = try await Self.customerID(
                    client, ["phone": "13800138001", "name": "Wei", "consents": ["sms": ["granted": true]]],
                    token: tenant.token)
                let worker = try makeJobWorker(parts, schedules: false)
                func state(_ message: String) async throws -> [String: Any] {
                    try JSON.object(try await client.send(.get, "/v1/messages/\(message)", token: tenant.token).body)
                }

                let refused =
                    try JSON.object(
                        try await Self.send(client, token: tenant.token, customer: id, template: "reminder").body)["id"]
                    as! String
                _ = try await worker.drain()
                let failed = try await state(refused)
                #expect(failed["state"] as? String == "failed")
                #expect(gateway.received.count == 1)

                let retried =
                    try JSON.object(
                        try await Self.send(client, token: tenant.token, customer: id, template: "reminder").body)["id"]
                    as! String
                let deadline = ContinuousClock.now + .seconds(30)
                while try await state(retried)["state"] as? String == "queued", ContinuousClock.now < deadline {
                    _ = try await worker.drain()
                    try await Task.sleep(for: .milliseconds(20))
                }
                let exhausted = try await state(retried)
                #expect(exhausted["state"] as? String == "failed", "\(exhausted)")
                #expect((exhausted["state_reason"] as? String)?.contains("after 3 attempts") == true, "\(exhausted)")
                #expect(gateway.received.count == 1 + 3)
            }
        }
    }

    /// Paths on this server in `text` that start with `prefix`.
    static func paths(in text: String, prefix: String) -> [String] {
        MessageTesting.paths(in: text, prefix: prefix)
    }
}
