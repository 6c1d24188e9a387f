import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ItineraTestSupport
import Synchronization
import Testing

@testable import Itinera

/// The insight overview computed exactly on a known data set, against the real database, as of a
/// time the test sets (2030-06-15 12:00 in Shanghai, the tenant's zone).
@Suite struct InsightOverviewTests {
    static let asOf = Date(timeIntervalSince1970: 1_907_985_600)  // 2030-06-15T04:00:00Z

    /// Seven customers (c6 erased), their orders, a programme with Potential and Gold, tier changes
    /// before and in the 90-day window, RFM segments, NPS answers, a campaign and a community.
    static let data = """
        INSERT INTO customers (id, name, order_count, total_spent_minor, first_order_at, last_order_at, rfm_segment,
                               erased_at)
        OVERRIDING SYSTEM VALUE VALUES
            (1, 'c1', 3, 30000, '2030-01-10T02:00:00Z', '2030-04-01T02:00:00Z', 'champions', NULL),
            (2, 'c2', 1, 10000, '2030-01-20T02:00:00Z', '2030-01-20T02:00:00Z', 'at_risk', NULL),
            (3, 'c3', 3, 30000, '2030-03-03T02:00:00Z', '2030-05-10T02:00:00Z', 'champions', NULL),
            (4, 'c4', 2, 20000, '2029-05-01T02:00:00Z', '2030-05-20T02:00:00Z', NULL, NULL),
            (5, 'c5', 0, 0, NULL, NULL, NULL, NULL),
            (6, NULL, 1, 10000, '2030-02-01T02:00:00Z', '2030-02-01T02:00:00Z', NULL, now()),
            (7, 'c7', 1, 15000, '2030-06-01T02:00:00Z', '2030-06-01T02:00:00Z', NULL, NULL);
        INSERT INTO orders (customer_id, amount_minor, currency, product_name, ordered_at, status)
        VALUES (1, 10000, 'CNY', 'T', '2030-01-10T02:00:00Z', 'completed'),
               (1, 10000, 'CNY', 'T', '2030-02-05T02:00:00Z', 'completed'),
               (1, 10000, 'CNY', 'T', '2030-04-01T02:00:00Z', 'completed'),
               (2, 10000, 'CNY', 'T', '2030-01-20T02:00:00Z', 'completed'),
               (2, 10000, 'CNY', 'T', '2030-02-10T02:00:00Z', 'cancelled'),
               (3, 10000, 'CNY', 'T', '2030-03-03T02:00:00Z', 'completed'),
               (3, 10000, 'CNY', 'T', '2030-03-25T02:00:00Z', 'completed'),
               (3, 10000, 'CNY', 'T', '2030-05-10T02:00:00Z', 'confirmed'),
               (4, 10000, 'CNY', 'T', '2029-05-01T02:00:00Z', 'completed'),
               (4, 10000, 'CNY', 'T', '2030-05-20T02:00:00Z', 'confirmed'),
               (6, 10000, 'CNY', 'T', '2030-02-01T02:00:00Z', 'completed'),
               (7, 15000, 'CNY', 'T', '2030-06-01T02:00:00Z', 'confirmed');
        INSERT INTO programs (id, name, currency, points_per_unit, points_rounding, points_expiry, tier_window,
                              downgrade, enrolment, card_prefix)
        OVERRIDING SYSTEM VALUE VALUES (1, 'Club', 'CNY', 1, 'down', 'end_of_year', 'calendar_year', 'immediate',
                                        'first_order', '88');
        INSERT INTO tiers (program_id, code, name, rank, combine, min_orders)
        VALUES (1, 'potential', 'Potential', 1, 'all', 1), (1, 'gold', 'Gold', 2, 'all', 2);
        INSERT INTO members (id, program_id, customer_id, card_number, tier_code)
        OVERRIDING SYSTEM VALUE VALUES (1, 1, 1, '881', 'gold'), (2, 1, 2, '882', 'potential'),
                                       (3, 1, 3, '883', 'potential'), (4, 1, 4, '884', 'gold');
        INSERT INTO tier_history (member_id, from_tier, to_tier, source, figures, reason, changed_at)
        VALUES (1, NULL, 'potential', 'enrolment', '{}', 'Enrolled', '2030-01-10T02:00:00Z'),
               (1, 'potential', 'gold', 'order', '{}', 'Two orders', '2030-04-01T02:00:00Z'),
               (2, NULL, 'potential', 'enrolment', '{}', 'Enrolled', '2030-01-20T02:00:00Z'),
               (3, NULL, 'potential', 'enrolment', '{}', 'Enrolled', '2030-03-25T02:00:00Z'),
               (4, 'potential', 'gold', 'order', '{}', 'Two orders', '2030-01-01T02:00:00Z');
        INSERT INTO nps_responses (customer_id, score, stage, source, responded_at)
        VALUES (1, 10, 'post', 'api', '2030-05-02T02:00:00Z'), (2, 6, 'post', 'api', '2030-05-03T02:00:00Z'),
               (3, 9, 'post', 'api', '2030-06-02T02:00:00Z'), (4, 3, 'post', 'api', '2029-05-02T02:00:00Z');
        INSERT INTO campaigns (id, name, lapsed_days_min, channel, template, holdout_percent, attribution_days)
        OVERRIDING SYSTEM VALUE VALUES (1, 'Back', 90, 'email', 'back', 10, 30);
        INSERT INTO campaign_recipients (campaign_id, customer_id, grp, entered_at, attribution_ends_at,
                                         prior_average_minor, recovered_at, recovered_amount_minor)
        VALUES (1, 1, 'treated', '2030-05-01', '2030-06-01', 0, '2030-05-05', 5000),
               (1, 2, 'treated', '2030-05-01', '2030-06-01', 0, NULL, NULL),
               (1, 3, 'treated', '2030-05-01', '2030-06-01', 0, '2030-05-10', 7000),
               (1, 4, 'treated', '2030-05-01', '2030-06-01', 0, NULL, NULL),
               (1, 5, 'holdout', '2030-05-01', '2030-06-01', 0, NULL, NULL),
               (1, 7, 'holdout', '2030-05-01', '2030-06-01', 0, NULL, NULL);
        INSERT INTO communities (id, name, visibility, member_count)
        OVERRIDING SYSTEM VALUE VALUES (1, 'Club', 'open', 2);
        INSERT INTO community_members (community_id, customer_id, source) VALUES (1, 1, 'api'), (1, 3, 'api');
        INSERT INTO community_events (id, kind, title, starts_at, ends_at, state, registered_count)
        OVERRIDING SYSTEM VALUE VALUES
            (1, 'meetup', 'In the window', '2030-05-01T10:00:00Z', '2030-05-01T12:00:00Z', 'closed', 2),
            (2, 'meetup', 'Before it', '2030-01-01T10:00:00Z', '2030-01-01T12:00:00Z', 'closed', 1);
        INSERT INTO event_registrations (event_id, customer_id, state, source, checked_in_at, check_in_nonce)
        VALUES (1, 1, 'registered', 'api', '2030-05-01T10:05:00Z', 'n1'),
               (1, 3, 'registered', 'api', NULL, NULL),
               (1, 2, 'cancelled', 'api', NULL, NULL),
               (2, 2, 'registered', 'api', '2030-01-01T10:05:00Z', 'n2');
        """

    /// A JSON object of numbers, each as a `Double`.
    static func numbers(_ value: Any?) -> [String: Double] {
        (value as? [String: Any] ?? [:]).compactMapValues { ($0 as? NSNumber)?.doubleValue }
    }

    @Test func test_theOverview_isExactOnAKnownDataSet_andARefreshKeepsTheRFMDrift() async throws {
        let clock = ManualClock(Self.asOf)
        try await TestDatabase.with { db in
            let parts = db.parts {
                $0.jobWorkers = 0
                $0.clock = clock.wallClock
            }
            try await Application(router: try buildRouter(parts)).test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "insight")
                try await db.inTenant(tenant.slug) { connection in
                    for statement in Self.data.components(separatedBy: ";\n") where !statement.isEmpty {
                        try await connection.execute(PQStatement(unsafeSQL: statement))
                    }
                }
                let response = try await client.send(.get, "/v1/insight/overview", token: tenant.token)
                #expect(response.status == .ok, "\(String(buffer: response.body))")
                let o = try JSON.object(response.body)
                #expect(JSON.date(o["as_of"]) == Self.asOf)
                #expect(
                    Self.numbers(o["customers"]) == [
                        "total": 6, "buyers": 5, "repeat_buyers": 3, "repurchase_rate": 0.6,
                    ])
                let cohorts = o["cohorts"] as? [[String: Any]] ?? []
                #expect(cohorts.map { $0["month"] as? String } == ["2030-01", "2030-03", "2030-06"])
                #expect(cohorts.map { $0["size"] as? Int } == [2, 1, 1])
                #expect(cohorts.map { $0["repurchased"] as? Int } == [1, 1, 0])
                #expect(
                    cohorts.map { $0["returned"] as? [Int] } == [
                        [1, 0, 1, 0, 0, 0], [0, 1, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0],
                    ])
                let tiers = (o["tiers"] as? [[String: Any]] ?? []).map {
                    ($0["tier"] as? String ?? "-", $0["members"] as? Int ?? -1)
                }
                #expect(tiers.map(\.0) == ["potential", "gold"] && tiers.map(\.1) == [2, 2])
                let moves = Set(
                    (o["tier_moves"] as? [[String: Any]] ?? []).map {
                        "\($0["from"] as? String ?? "new")>\($0["to"] as? String ?? "-"):\($0["members"] as? Int ?? -1)"
                    })
                #expect(moves == ["potential>gold:1", "gold>gold:1", "new>potential:1", "potential>potential:1"])
                let revenue = Set(
                    (o["revenue_by_tier"] as? [[String: Any]] ?? []).map {
                        "\($0["tier"] as? String ?? "none"):\($0["orders"] as? Int ?? -1):\($0["revenue_minor"] as? Int ?? -1):\($0["average_order_minor"] as? Int ?? -1)"
                    })
                #expect(revenue == ["gold:2:20000:10000", "potential:2:20000:10000", "none:1:15000:15000"])
                let rfm = (o["rfm"] as? [[String: Any]] ?? []).map {
                    "\($0["segment"] as? String ?? ""):\($0["customers"] as? Int ?? -1):\($0["previous"] as? Int ?? -1)"
                }
                #expect(rfm == ["at_risk:1:-1", "champions:2:-1"])
                let nps = (o["nps"] as? [[String: Any]] ?? []).map {
                    "\($0["month"] as? String ?? ""):\($0["responses"] as? Int ?? -1):\($0["nps"] as? Double ?? -999)"
                }
                #expect(nps == ["2030-05:2:0.0", "2030-06:1:100.0"])
                #expect(
                    Self.numbers(o["campaigns"]) == [
                        "campaigns": 1, "treated": 4, "treated_recovered": 2, "holdout": 2, "holdout_recovered": 0,
                        "recovered_revenue_minor": 12000, "uplift": 0.5,
                    ])
                #expect(
                    Self.numbers(o["community"]) == [
                        "events": 1, "registered": 2, "checked_in": 1, "attendance_rate": 0.5, "members": 2,
                        "members_average_spent_minor": 30000, "others_average_spent_minor": 15000,
                    ])

                // A refresh later: served from the new figures, the RFM sizes of the one before kept.
                try await db.inTenant(tenant.slug) { connection in
                    try await connection.execute("UPDATE customers SET rfm_segment = 'champions' WHERE id = 2")
                }
                clock.advance(minutes: 60)
                let queued = try await client.send(.post, "/v1/insight/refresh", token: tenant.token)
                #expect(queued.status == .accepted)
                #expect(try await makeJobWorker(parts, schedules: false).drain() == 1)
                let later = try JSON.object(
                    try await client.send(.get, "/v1/insight/overview", token: tenant.token).body)
                #expect(JSON.date(later["as_of"]) == Self.asOf.addingTimeInterval(3_600))
                let drift = (later["rfm"] as? [[String: Any]] ?? []).map {
                    "\($0["segment"] as? String ?? ""):\($0["customers"] as? Int ?? -1):\($0["previous"] as? Int ?? -1)"
                }
                #expect(drift == ["champions:3:2"])
            }
        }
    }
}
