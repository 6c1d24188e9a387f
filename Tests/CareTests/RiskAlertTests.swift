import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ItineraTestSupport
import Testing

@testable import Itinera

/// Destination risk alerts against the real database: the bookings found are exactly those whose
/// travel overlaps, everyone is told through a channel they consented to or counted unreachable
/// with the reason, and the 48-hour reach is counted.
@Suite struct RiskAlertTests {
    struct Booking {
        var customer: Int
        var destination: String
        var start: Int
        var end: Int?
        var status: String
    }

    /// A repeatable mix: 10,000 orders of 3,000 customers at four destinations (one written two
    /// ways), travel from 20 days ago to 60 days ahead, some without an end date, some cancelled.
    static func bookings() -> [Booking] {
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        let destinations = [
            "Lijiang", "Lijiang", "Lijiang", "Lijiang", "LIJIANG", "Dali", "Dali", "Dali", "Sanya", "Sanya",
        ]
        return (0..<10_000).map { _ in
            let start = next(81) - 20
            let end: Int? = next(5) == 0 ? nil : start + next(10)
            let roll = next(20)
            return Booking(
                customer: next(3_000), destination: destinations[next(destinations.count)], start: start, end: end,
                status: roll == 0 ? "cancelled" : roll == 1 ? "completed" : "confirmed")
        }
    }

    @Test func test_anAlertOverTenThousandBookings_findsExactlyTheOverlappingOnes_andCountsTheReach() async throws {
        try await TestDatabase.with { db in
            let parts = db.parts { $0.jobWorkers = 0 }
            try await Application(router: try buildRouter(parts)).test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "risk")
                for (name, channel) in [("risk-email", "email"), ("risk-sms", "sms")] {
                    var template = [
                        "channel": channel, "purpose": "service",
                        "body": "{{alert.severity}} at {{alert.destination}}: {{alert.message}} Order {{order.id}}.",
                    ]
                    if channel == "email" { template["subject"] = "Travel warning" }
                    _ = try await client.send(
                        .put, "/v1/message-templates/\(name)", json: template, token: tenant.token)
                }
                // Customers 0, 3, 6… consent to e-mail, 1, 4, 7… to SMS, the rest to nothing.
                let data = Self.bookings()
                let ids = try await db.inTenant(tenant.slug) { connection -> [Int64] in
                    let customers = try await connection.query(
                        """
                        INSERT INTO customers (name) SELECT 'Traveller ' || n FROM generate_series(0, 2999) n
                        RETURNING id
                        """
                    ).collect().map { try $0[0].decode(Int64.self) }.sorted()
                    try await connection.execute(
                        """
                        INSERT INTO customer_identities (kind, value, customer_id)
                        SELECT 'email', 'traveller' || n || '@example.com', c FROM unnest(\(customers)::bigint[])
                            WITH ORDINALITY AS u(c, n)
                        UNION ALL
                        SELECT 'phone', '+86139' || lpad(n::text, 8, '0'), c FROM unnest(\(customers)::bigint[])
                            WITH ORDINALITY AS u(c, n)
                        """)
                    try await connection.execute(
                        """
                        INSERT INTO consents (customer_id, channel, purpose, granted, recorded_at, source)
                        SELECT c, CASE WHEN (n - 1) % 3 = 0 THEN 'email' ELSE 'sms' END, 'service', true, now(), 'test'
                        FROM unnest(\(customers)::bigint[]) WITH ORDINALITY AS u(c, n)
                        WHERE (n - 1) % 3 < 2
                        """)
                    let made = try await connection.query(
                        """
                        INSERT INTO orders (customer_id, external_id, amount_minor, currency, product_name, destination,
                                            ordered_at, travel_start, travel_end, status)
                        SELECT (\(customers)::bigint[])[u.c + 1], 'risk-' || u.n, 100000, 'CNY', 'Tour', u.d, now(),
                               (now() AT TIME ZONE \(SignUpValidation.defaultTimezone))::date + u.s::int,
                               (now() AT TIME ZONE \(SignUpValidation.defaultTimezone))::date + x.e::int, u.st
                        FROM unnest(\(data.map { $0.customer }), \(data.map(\.destination)), \(data.map(\.start)),
                                    \(data.map { $0.end ?? -999 }), \(data.map(\.status)))
                             WITH ORDINALITY AS u(c, d, s, e0, st, n)
                        CROSS JOIN LATERAL (SELECT nullif(u.e0, -999) AS e) AS x
                        RETURNING external_id, id
                        """
                    ).collect().map { (try $0[0].decode(String.self), try $0[1].decode(Int64.self)) }
                    let byKey = Dictionary(uniqueKeysWithValues: made)
                    return (1...data.count).map { byKey["risk-\($0)"]! }
                }
                #expect(ids.count == 10_000)

                // Travel overlapping days 1–6 on the tenant's calendar, at Lijiang in any case.
                let expected = data.indices.filter { index in
                    let b = data[index]
                    return b.destination.lowercased() == "lijiang" && b.status != "cancelled" && b.start <= 6
                        && (b.end ?? b.start) >= 1
                }
                let made = try await client.send(
                    .post, "/v1/risk-alerts",
                    json: [
                        "destination": "lijiang", "starts_at": Self.iso(TouchpointTests.local(day: 1, hour: 15)),
                        "ends_at": Self.iso(TouchpointTests.local(day: 6, hour: 9)), "severity": "severe",
                        "message": "Heavy snow closes the Yulong road.", "templates": ["risk-email", "risk-sms"],
                    ], token: tenant.token)
                #expect(made.status == .accepted, "\(String(buffer: made.body))")
                let alert = try JSON.object(made.body)
                let id = try #require(alert["id"] as? String)
                #expect(alert["bookings"] as? Int == expected.count)
                #expect(expected.count > 500)

                let (events, _) = wireDomainEvents(parts.configuration)
                let worker = JobWorker(
                    client: parts.client, handlers: [RiskAlertJob(events: events)], logger: parts.logger)
                _ = try await worker.drain()

                var found: [String: [String: Any]] = [:]
                var cursor: String?
                repeat {
                    let page = try JSON.object(
                        try await client.send(
                            .get, "/v1/risk-alerts/\(id)/bookings?limit=200" + (cursor.map { "&cursor=\($0)" } ?? ""),
                            token: tenant.token
                        ).body)
                    for item in page["items"] as? [[String: Any]] ?? [] { found[item["order_id"] as! String] = item }
                    cursor = page["next_cursor"] as? String
                } while cursor != nil
                #expect(Set(found.keys) == Set(expected.map { String(ids[$0]) }))

                let byEmail = expected.filter { data[$0].customer % 3 == 0 }
                let bySMS = expected.filter { data[$0].customer % 3 == 1 }
                let inTime = (byEmail + bySMS).filter { data[$0].start >= 3 }
                #expect(found.values.filter { $0["channel"] as? String == "email" }.count == byEmail.count)
                #expect(found.values.filter { $0["channel"] as? String == "sms" }.count == bySMS.count)
                let report = try JSON.object(
                    try await client.send(.get, "/v1/risk-alerts/\(id)", token: tenant.token).body)
                #expect(report["state"] as? String == "done")
                let figures = try #require(report["report"] as? [String: Any])
                #expect(figures["reached"] as? Int == byEmail.count + bySMS.count)
                #expect(figures["reached_48h"] as? Int == inTime.count)
                #expect(figures["reached_late"] as? Int == byEmail.count + bySMS.count - inTime.count)
                #expect(
                    (figures["unreachable"] as? [String: Int]) == [
                        "no_consent": expected.count - byEmail.count - bySMS.count
                    ])
                #expect(figures["pending"] as? Int == 0)
                let outbox = try await db.inTenant(tenant.slug) { connection in
                    try await connection.query(
                        "SELECT type FROM outbox_events WHERE type LIKE 'risk_alert.%' ORDER BY position"
                    ).collect().map { try $0[0].decode(String.self) }
                }
                #expect(outbox == ["risk_alert.issued", "risk_alert.completed"])
            }
        }
    }

    static func iso(_ date: Date) -> String { ISO8601DateFormatter().string(from: date) }

    /// A period that ends before it starts, an unknown template or offer: refused with the field,
    /// and no alert is made.
    @Test func test_badAlerts_areRefusedWithTheField() async throws {
        try await TestDatabase.with { db in
            try await Application(router: try buildRouter(db.parts { $0.jobWorkers = 0 })).test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "riskbad")
                _ = try await client.send(
                    .put, "/v1/message-templates/risk-sms",
                    json: ["channel": "sms", "purpose": "service", "body": "!"],
                    token: tenant.token)
                let good: [String: Any] = [
                    "destination": "Dali", "starts_at": "2030-01-02T00:00:00Z", "ends_at": "2030-01-03T00:00:00Z",
                    "severity": "warning", "message": "Floods.", "templates": ["risk-sms"],
                ]
                for (change, field, status) in [
                    (["ends_at": "2030-01-01T00:00:00Z"], "ends_at", 422),
                    (["templates": ["risk-sms", "nothing"]], "templates[1]", 404),
                    (["offer_id": "77"], "offer_id", 404),
                    (["destination": "   "], "destination", 422),
                ] as [([String: Any], String, Int)] {
                    let response = try await client.send(
                        .post, "/v1/risk-alerts", json: good.merging(change) { $1 }, token: tenant.token)
                    #expect(Int(response.status.code) == status, "\(String(buffer: response.body))")
                    #expect(try JSON.object(response.body)["field"] as? String == field)
                }
                #expect(try await db.tenantCount("risk_alerts", tenant: tenant.slug) == 0)
            }
        }
    }
}
