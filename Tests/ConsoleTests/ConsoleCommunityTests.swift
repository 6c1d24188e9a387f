import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ItineraTestSupport
import Testing

@testable import Itinera

/// The console's community and care pages against the real database: an event's check-in list and
/// waiting list in order, offers, the touchpoint rules with the touchpoints due.
@Suite struct ConsoleCommunityTests {
    @Test func test_eventsOffersAndTouchpoints_showWhatTheAPIReads() async throws {
        try await TestDatabase.with { db in
            try await Application(router: try buildRouter(db.parts { $0.jobWorkers = 0 })).test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "concomm")
                try await db.inTenant(tenant.slug) { connection in
                    try await connection.execute(
                        "INSERT INTO customers (name) SELECT 'Guest ' || n FROM generate_series(1, 3) n")
                    try await connection.execute(
                        """
                        INSERT INTO community_events (kind, title, starts_at, ends_at, state, capacity, registered_count)
                        VALUES ('meetup', 'Tea in Pu''er', now() + interval '3 days', now() + interval '3 days 2 hours',
                                'open', 1, 1)
                        """)
                    try await connection.execute(
                        """
                        INSERT INTO event_registrations (event_id, customer_id, state, source)
                        SELECT e.id, c.id, CASE WHEN c.id = 1 THEN 'registered' ELSE 'waitlisted' END, 'api'
                        FROM community_events e, customers c ORDER BY c.id
                        """)
                    try await connection.execute(
                        """
                        INSERT INTO offers (name, benefit, code_mode, code_prefix, valid_until)
                        VALUES ('Free rebooking', 'Change dates free of charge', 'per_recipient', 'REBOOK',
                                now() + interval '30 days')
                        """)
                }
                _ = try await client.send(
                    .put, "/v1/message-templates/guide", json: ["channel": "sms", "purpose": "service", "body": "Hi"],
                    token: tenant.token)
                _ = try await client.send(
                    .put, "/v1/touchpoint-rules",
                    json: [
                        "rules": [
                            [
                                "code": "guide", "phase": "pre", "offset_hours": -48, "channel": "sms",
                                "template": "guide",
                            ]
                        ]
                    ], token: tenant.token)
                let owner = try await ConsoleTierEditorTests.signIn(
                    client, tenant: tenant.slug, email: "owner@\(tenant.slug).example",
                    password: "correct horse battery")

                let events = String(
                    buffer: try await client.execute(uri: "/console/events", method: .get, headers: owner).body)
                #expect(events.contains("Tea in Pu&#39;er") || events.contains("Tea in Pu'er"))
                let event = try #require(
                    events.firstRange(of: "href=\"/console/events/").map {
                        String(events[$0.upperBound...].prefix { $0 != "\"" })
                    })
                let lists = String(
                    buffer: try await client.execute(uri: "/console/events/\(event)", method: .get, headers: owner).body
                )
                let checkIn = try #require(lists.range(of: "Check-in list"))
                let waiting = try #require(lists.range(of: "Waiting list"))
                #expect(lists[checkIn.upperBound..<waiting.lowerBound].contains(">registered<"))
                let positions = lists[waiting.upperBound...].ranges(of: "data-column=\"waitlist_position\">").map {
                    lists[$0.upperBound...].prefix { $0 != "<" }
                }
                #expect(positions == ["1", "2"])
                let action = try #require(
                    lists.firstRange(of: "action=\"/console/events/\(event)/check-in/").map {
                        String(lists[$0.lowerBound...].dropFirst("action=\"".count).prefix { $0 != "\"" })
                    })
                let nonce = try #require(
                    lists.firstRange(of: "name=\"nonce\" value=\"").map {
                        String(lists[$0.upperBound...].prefix { $0 != "\"" })
                    })
                let checkedIn = try await ConsoleSignInTests.post(
                    client, action, "csrf=\(ConsoleTierEditorTests.csrf(lists))&nonce=\(nonce)", headers: owner)
                #expect(checkedIn.status == .seeOther)
                let after = String(
                    buffer: try await client.execute(uri: "/console/events/\(event)", method: .get, headers: owner).body
                )
                #expect(!after.contains("/check-in/"))
                #expect(after.contains("data-column=\"checked_in_at\">20"))

                let offers = String(
                    buffer: try await client.execute(uri: "/console/offers", method: .get, headers: owner).body)
                #expect(offers.contains("Free rebooking") && offers.contains("per_recipient"))
                let touchpoints = String(
                    buffer: try await client.execute(uri: "/console/touchpoints", method: .get, headers: owner).body)
                #expect(touchpoints.contains("21:00–08:00") && touchpoints.contains(">guide<"))
            }
        }
    }
}
