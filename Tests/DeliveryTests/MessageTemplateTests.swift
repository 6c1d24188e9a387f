import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ItineraTestSupport
import Testing

@testable import Itinera

@Suite struct MessageTemplateTests {
    /// A template saved, previewed for a customer and one of their orders (plain text: nothing
    /// HTML-escaped; the offer as given), replaced, listed and removed, each change audited.
    @Test func test_aTemplate_isSavedPreviewedReplacedAndRemoved_andAudited() async throws {
        try await TestDatabase.with { db in
            try await Application(router: try buildRouter(db.parts())).test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "templates")
                let order = try JSON.object(
                    try await client.send(
                        .post, "/v1/orders",
                        json: [
                            "customer": ["phone": "13800138000", "email": "wei@example.com", "name": "张伟"],
                            "amount_minor": 520_000, "currency": "CNY", "product": ["name": "Lijiang & Shangri-La"],
                            "destination": "Lijiang", "ordered_at": "2026-10-01T09:30:00+08:00",
                            "travel_start": "2026-12-20", "travel_end": "2026-12-27",
                        ], token: tenant.token, headers: WebhookTests.key("t-1")
                    ).body)
                let template: [String: Any] = [
                    "channel": "email", "purpose": "marketing",
                    "subject": "{{customer.first_name}}, back to {{trip.destination}}?",
                    "body":
                        "Dear {{customer.name}},\nyour {{order.product}} ({{order.amount}}) ran {{trip.start}} to {{trip.end}}.\n{{#offer.code}}Code: {{offer.code}}{{/offer.code}}{{missing}}",
                ]
                let created = try await client.send(
                    .put, "/v1/message-templates/win-back", json: template, token: tenant.token)
                #expect(created.status == .created)
                let preview = try await client.send(
                    .post, "/v1/message-templates/win-back/preview",
                    json: [
                        "customer_id": order["customer_id"] as? String ?? "", "order_id": order["id"] as? String ?? "",
                        "offer": ["code": "BACK<10>"],
                    ],
                    token: tenant.token)
                #expect(preview.status == .ok)
                let shown = try JSON.object(preview.body)
                #expect(shown["subject"] as? String == "张伟, back to Lijiang?")
                #expect(
                    shown["body"] as? String
                        == "Dear 张伟,\nyour Lijiang & Shangri-La (5200.00 CNY) ran 2026-12-20 to 2026-12-27.\nCode: BACK<10>"
                )
                let replaced = try await client.send(
                    .put, "/v1/message-templates/win-back",
                    json: ["channel": "sms", "purpose": "service", "body": "Trip {{trip.destination}}"],
                    token: tenant.token)
                #expect(replaced.status == .ok)
                #expect(try JSON.object(replaced.body)["subject"] == nil)
                let list = try JSON.object(
                    try await client.send(.get, "/v1/message-templates", token: tenant.token).body)
                #expect((list["items"] as? [[String: Any]])?.map { $0["name"] as? String } == ["win-back"])
                #expect(
                    try await client.send(.delete, "/v1/message-templates/win-back", token: tenant.token).status
                        == .noContent)
                #expect(
                    try await client.send(.get, "/v1/message-templates/win-back", token: tenant.token).status
                        == .notFound)
                let audit = try JSON.object(try await client.send(.get, "/v1/audit-events", token: tenant.token).body)
                let actions = (audit["items"] as? [[String: Any]] ?? []).compactMap { $0["action"] as? String }
                #expect(
                    Set(actions).isSuperset(of: [
                        "message_template.create", "message_template.update", "message_template.delete",
                    ]))
            }
        }
    }

    /// Bad templates are 422s naming the field, Mustache errors with their line; nothing is saved.
    @Test func test_badTemplates_are422NamingTheField() async throws {
        try await TestDatabase.with { db in
            try await Application(router: try buildRouter(db.parts())).test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "badtemplates")
                for (body, field) in [
                    (["channel": "email", "purpose": "marketing", "body": "Hi"], "subject"),
                    (["channel": "sms", "purpose": "service", "subject": "x", "body": "Hi"], "subject"),
                    (["channel": "sms", "purpose": "service", "body": "Hi {{#trip}} unclosed"], "body"),
                    (["channel": "email", "purpose": "marketing", "subject": "{{/x}}", "body": "Hi"], "subject"),
                ] as [([String: Any], String)] {
                    let response = try await client.send(
                        .put, "/v1/message-templates/t1", json: body, token: tenant.token)
                    #expect(response.status == .unprocessableContent, "\(body)")
                    #expect(try JSON.object(response.body)["field"] as? String == field, "\(body)")
                }
                let missing = try await client.send(
                    .post, "/v1/message-templates/t1/preview", json: ["customer_id": "1"], token: tenant.token)
                #expect(missing.status == .notFound)
                let list = try JSON.object(
                    try await client.send(.get, "/v1/message-templates", token: tenant.token).body)
                #expect((list["items"] as? [Any])?.isEmpty == true)
            }
        }
    }
}
