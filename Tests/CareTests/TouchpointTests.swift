import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ItineraTestSupport
import Testing

@testable import Itinera

/// Trip touchpoints against the real database: their due times on the tenant's clock, kept across a
/// restart, sent through the customer's consent when due, withdrawn by a cancellation.
@Suite struct TouchpointTests {
    static let zone = TimeZone(identifier: SignUpValidation.defaultTimezone)!

    static var rules: [String: Any] {
        [
            "quiet_hours": ["start": "21:00", "end": "08:00"],
            "rules": [
                // 00:00 three days before travel falls in the quiet hours: sent at 08:00.
                ["code": "guide", "phase": "pre", "offset_hours": -72, "channel": "email", "template": "trip-guide"],
                // 18:00 two days before.
                ["code": "weather", "phase": "pre", "offset_hours": -30, "channel": "email", "template": "trip-guide"],
                // 10:00 on the first day, by SMS.
                ["code": "sos", "phase": "in", "offset_hours": 10, "channel": "sms", "template": "trip-sos"],
                // 02:00 after the last day: quiet, so 08:00.
                ["code": "survey", "phase": "post", "offset_hours": 2, "channel": "email", "template": "trip-guide"],
                // Only for ski trips: not this one.
                [
                    "code": "ski", "phase": "pre", "offset_hours": -24, "channel": "email", "template": "trip-guide",
                    "product_category": "ski",
                ],
            ],
        ]
    }

    /// `day` days after today on the tenant's calendar, at `hour`:00 local.
    static func local(day: Int, hour: Int) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let today = calendar.startOfDay(for: Date())
        return calendar.date(byAdding: .hour, value: hour, to: calendar.date(byAdding: .day, value: day, to: today)!)!
    }

    static func dateText(day: Int) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = zone
        formatter.dateFormat = "yyyy-MM-dd"
        return formatter.string(from: local(day: day, hour: 12))
    }

    static func touchpoints(_ client: some TestClientProtocol, order: String, token: String) async throws
        -> [String: [String: Any]]
    {
        let page = try JSON.object(try await client.send(.get, "/v1/touchpoints?order_id=\(order)", token: token).body)
        let items = page["items"] as? [[String: Any]] ?? []
        return Dictionary(uniqueKeysWithValues: items.map { ($0["rule"] as! String, $0) })
    }

    static func due(_ touchpoint: [String: Any]?) -> Date? {
        (touchpoint?["due_at"] as? String).flatMap { ISO8601DateFormatter().date(from: String($0.prefix(19)) + "Z") }
    }

    /// An order made today for travel in 10 days (four days long): each rule's touchpoint is due at
    /// the right local time, out of the quiet hours; a new server over the same database finds them
    /// and their jobs; when due, the e-mail goes out through the customer's consent and the SMS
    /// without consent is skipped; a cancellation withdraws the rest.
    @Test func test_anOrderForTravelInTenDays_getsItsTouchpointsOnTheTenantsClock_andACancellationWithdrawsThem()
        async throws
    {
        try await TestDatabase.with { db in
            let parts = db.parts { $0.jobWorkers = 0 }
            let (signed, order) = try await Application(router: try buildRouter(parts)).test(.router) { client in
                let signed = try await client.signUp(slugPrefix: "trip")
                let token = signed.token
                for (name, channel) in [("trip-guide", "email"), ("trip-sos", "sms")] {
                    var template = [
                        "channel": channel, "purpose": "service", "body": "Your trip to {{order.destination}}.",
                    ]
                    if channel == "email" { template["subject"] = "Your trip" }
                    let made = try await client.send(
                        .put, "/v1/message-templates/\(name)", json: template, token: token)
                    #expect(made.status == .created || made.status == .ok)
                }
                let put = try await client.send(.put, "/v1/touchpoint-rules", json: Self.rules, token: token)
                #expect(put.status == .ok, "\(String(buffer: put.body))")
                #expect(try JSON.object(put.body)["pending"] as? Int == 0)

                let customer = try JSON.object(
                    try await client.send(
                        .post, "/v1/customers",
                        json: [
                            "email": "traveller@example.com", "phone": "+8613900001234", "name": "Wei Zhang",
                            "consents": ["email": ["granted": true, "purpose": "service"]],
                        ], token: token
                    ).body)
                let made = try await client.send(
                    .post, "/v1/orders",
                    json: [
                        "customer": ["id": customer["id"] as! String], "amount_minor": 880_000, "currency": "CNY",
                        "product": ["name": "Yunnan in autumn", "category": "tour"], "destination": "Lijiang",
                        "ordered_at": ISO8601DateFormatter().string(from: Date()),
                        "travel_start": Self.dateText(day: 10), "travel_end": Self.dateText(day: 13),
                        "status": "confirmed",
                    ], token: token, headers: [HTTPField.Name("Idempotency-Key")!: "trip-1"])
                #expect(made.status == .created, "\(String(buffer: made.body))")
                return (signed, try JSON.object(made.body)["id"] as! String)
            }

            // A new server over the same database: the touchpoints are in it, not in memory.
            try await Application(router: try buildRouter(db.parts { $0.jobWorkers = 0 })).test(.router) { client in
                let found = try await Self.touchpoints(client, order: order, token: signed.token)
                #expect(Set(found.keys) == ["guide", "weather", "sos", "survey"])
                #expect(Self.due(found["guide"]) == Self.local(day: 7, hour: 8))
                #expect(Self.due(found["weather"]) == Self.local(day: 8, hour: 18))
                #expect(Self.due(found["sos"]) == Self.local(day: 10, hour: 10))
                #expect(Self.due(found["survey"]) == Self.local(day: 14, hour: 8))
                #expect((found["guide"]?["due_local"] as? String)?.hasSuffix("T08:00") == true)
                #expect(found.values.allSatisfy { $0["state"] as? String == "pending" })
                // One job per due time, due then.
                let jobs = try await db.client.query(
                    """
                    SELECT run_after FROM itinera.jobs
                    WHERE kind = 'care.touchpoints' AND state = 'queued' AND tenant_id = \(UUID(uuidString: signed.id)!)
                    ORDER BY run_after
                    """, logger: db.logger
                ).collect().map { try $0[0].decode(Date.self) }
                #expect(
                    jobs == [
                        Self.local(day: 7, hour: 8), Self.local(day: 8, hour: 18), Self.local(day: 10, hour: 10),
                        Self.local(day: 14, hour: 8),
                    ])

                // Time passes to the first day of travel.
                try await db.inTenant(signed.slug) { tenant in
                    try await tenant.execute(
                        "UPDATE touchpoints SET due_at = now() - interval '1 second' WHERE rule IN ('guide', 'sos')")
                }
                try await db.client.execute(
                    "UPDATE itinera.jobs SET run_after = now() WHERE kind = 'care.touchpoints' AND state = 'queued'",
                    logger: db.logger)
                _ = try await makeJobWorker(db.parts { $0.jobWorkers = 0 }, schedules: false).drain()
                let sent = try await Self.touchpoints(client, order: order, token: signed.token)
                #expect(sent["guide"]?["state"] as? String == "sent" && sent["guide"]?["message_id"] != nil)
                #expect(
                    sent["sos"]?["state"] as? String == "skipped" && sent["sos"]?["reason"] as? String == "no_consent")
                #expect(sent["weather"]?["state"] as? String == "pending")
                let messageID = try #require(sent["guide"]?["message_id"] as? String)
                let message = try JSON.object(
                    try await client.send(.get, "/v1/messages/\(messageID)", token: signed.token).body)
                #expect(message["template"] as? String == "trip-guide")
                #expect((message["body"] as? String)?.contains("Lijiang") == true)
                let timeline = try JSON.object(
                    try await client.send(
                        .get, "/v1/customers/\(message["customer_id"] as! String)/timeline", token: signed.token
                    ).body)
                #expect((timeline["items"] as? [[String: Any]] ?? []).contains { $0["kind"] as? String == "message" })

                // New rules: the trip is scheduled again, the guide already sent is not sent again,
                // the weather moves to 18:00 the day before, the survey's rule is gone.
                var changed = Self.rules
                changed["rules"] = [
                    [
                        "code": "guide", "phase": "pre", "offset_hours": -72, "channel": "email",
                        "template": "trip-guide",
                    ],
                    [
                        "code": "weather", "phase": "pre", "offset_hours": -6, "channel": "email",
                        "template": "trip-guide",
                    ],
                ]
                let replaced = try await client.send(.put, "/v1/touchpoint-rules", json: changed, token: signed.token)
                #expect(replaced.status == .ok, "\(String(buffer: replaced.body))")
                #expect(try JSON.object(replaced.body)["pending"] as? Int == 1)
                let rescheduled = try await Self.touchpoints(client, order: order, token: signed.token)
                #expect(Set(rescheduled.keys) == ["guide", "weather", "sos"])
                #expect(rescheduled["guide"]?["state"] as? String == "sent")
                #expect(Self.due(rescheduled["weather"]) == Self.local(day: 9, hour: 18))

                let cancelled = try await client.send(.post, "/v1/orders/\(order)/cancel", token: signed.token)
                #expect(cancelled.status == .ok, "\(String(buffer: cancelled.body))")
                let after = try await Self.touchpoints(client, order: order, token: signed.token)
                #expect(after["weather"]?["state"] as? String == "withdrawn")
                #expect(after["weather"]?["reason"] as? String == "order_cancelled")
                #expect(after["guide"]?["state"] as? String == "sent")
            }
        }
    }

    /// A rule naming a template on another channel, a repeated code or a bad quiet hour is refused
    /// with the field named, and nothing changes.
    @Test func test_badRules_areRefusedWithTheField() async throws {
        try await TestDatabase.with { db in
            try await Application(router: try buildRouter(db.parts { $0.jobWorkers = 0 })).test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "tripbad")
                _ = try await client.send(
                    .put, "/v1/message-templates/trip-sos",
                    json: ["channel": "sms", "purpose": "service", "body": "Hi"],
                    token: tenant.token)
                let rule: [String: Any] = [
                    "code": "a", "phase": "pre", "offset_hours": -24, "channel": "email", "template": "trip-sos",
                ]
                for (body, field, status) in [
                    (["rules": [rule]], "rules[0].template", 422),
                    (["rules": [rule.merging(["template": "nothing"]) { $1 }]], "rules[0].template", 404),
                    (
                        ["rules": [rule.merging(["channel": "sms"]) { $1 }, rule.merging(["channel": "sms"]) { $1 }]],
                        "rules[1].code", 422
                    ),
                    (
                        [
                            "quiet_hours": ["start": "25:00", "end": "08:00"],
                            "rules": [rule.merging(["channel": "sms"]) { $1 }],
                        ], "quiet_hours.start", 422
                    ),
                ] as [([String: Any], String, Int)] {
                    let response = try await client.send(.put, "/v1/touchpoint-rules", json: body, token: tenant.token)
                    #expect(Int(response.status.code) == status, "\(String(buffer: response.body))")
                    #expect(try JSON.object(response.body)["field"] as? String == field)
                }
                let rules = try JSON.object(
                    try await client.send(.get, "/v1/touchpoint-rules", token: tenant.token).body)
                #expect((rules["rules"] as? [Any])?.isEmpty == true)
                #expect((rules["quiet_hours"] as? [String: String]) == ["start": "21:00", "end": "08:00"])
            }
        }
    }
}
