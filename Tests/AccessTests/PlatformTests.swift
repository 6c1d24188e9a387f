import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Itinera
import ItineraTestSupport
import PostgresNIO
import Testing

@Suite struct PlatformTests {
    static let token = "platform-operator-token-for-tests-0123456789"
    static let auth: HTTPFields = [.authorization: "Bearer \(token)"]

    @Test func test_platformOperations_needTheConfiguredToken() async throws {
        try await TestDatabase.with { db in
            let disabled = Application(router: try buildRouter(db.parts()))
            try await disabled.test(.router) { client in
                let response = try await client.send(.get, "/v1/platform/tenants", headers: Self.auth)
                #expect(response.status == .forbidden)
            }
            let app = Application(router: try buildRouter(db.parts { $0.platformToken = Self.token }))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "plat")
                #expect(try await client.send(.get, "/v1/platform/tenants").status == .unauthorized)
                #expect(
                    try await client.send(.get, "/v1/platform/tenants", token: tenant.token).status == .unauthorized)
                #expect(
                    try await client.send(.get, "/v1/platform/tenants", token: Self.token + "x").status == .unauthorized
                )
                #expect(try await client.send(.get, "/v1/tenant", headers: Self.auth).status == .unauthorized)
                let list = try await client.send(.get, "/v1/platform/tenants", headers: Self.auth)
                #expect(list.status == .ok)
                let items = try JSON.object(list.body)["items"] as! [[String: Any]]
                #expect(items.count == 1 && items[0]["slug"] as? String == tenant.slug)
                #expect((items[0]["size_bytes"] as? Int ?? 0) > 0 && items[0]["users"] as? Int == 1)
            }
        }
    }

    @Test func test_suspension_refusesKeysAndSessions_untilResumed() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts { $0.platformToken = Self.token }))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "susp")
                let key = try await client.createKey(token: tenant.token, scopes: [])
                let suspended = try await client.send(
                    .post, "/v1/platform/tenants/\(tenant.id)/suspend", headers: Self.auth)
                try #expect(
                    suspended.status == .ok && (try JSON.object(suspended.body)["state"] as? String) == "suspended")
                for token in [key.token, tenant.token] {
                    let refused = try await client.send(.get, "/v1/tenant", token: token)
                    #expect(refused.status == .forbidden)
                    try #expect((try JSON.object(refused.body)["detail"] as? String ?? "").contains("suspended"))
                }
                #expect(
                    try await client.send(.post, "/v1/platform/tenants/\(tenant.id)/resume", headers: Self.auth).status
                        == .ok)
                #expect(try await client.send(.get, "/v1/tenant", token: key.token).status == .ok)
                let events = try JSON.object(
                    try await client.send(.get, "/v1/audit-events?target_type=tenant", token: tenant.token).body)
                let actions = (events["items"] as! [[String: Any]]).map { $0["action"] as! String }
                #expect(actions == ["tenant.resume", "tenant.suspend"])
                let missing = try await client.send(.post, "/v1/platform/tenants/\(UUID())/suspend", headers: Self.auth)
                #expect(missing.status == .notFound)
            }
        }
    }

    @Test func test_export_delete_restore_givesBackEveryRow() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts { $0.platformToken = Self.token }))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "archive")
                let bystander = try await client.signUp(slugPrefix: "bystander")
                // Some history: settings, users, keys and the audit trail they leave.
                _ = try await client.send(
                    .patch, "/v1/tenant", json: ["settings": ["brand": "蓝天旅行", "colors": ["blue", "white"]]],
                    token: tenant.token)
                _ = try await client.addUser(token: tenant.token, role: "marketer")
                for index in 0..<25 {
                    _ = try await client.createKey(token: tenant.token, scopes: [], name: "k\(index)")
                }
                // A webhook endpoint, so that the orders' events get deliveries.
                let endpoint = try await client.send(
                    .post, "/v1/webhook-endpoints", json: ["url": "https://hooks.example.com/itinera"],
                    token: tenant.token)
                #expect(endpoint.status == .created)
                let template = try await client.send(
                    .put, "/v1/message-templates/welcome",
                    json: ["channel": "sms", "purpose": "service", "body": "Welcome, {{customer.name}}"],
                    token: tenant.token)
                #expect(template.status == .created)
                // And customer data of every kind: identities, consents, orders, interactions, a merge,
                // idempotency keys, and the outbox.
                for (index, phone) in ["13800138000", "13900139000"].enumerated() {
                    let order = try await client.send(
                        .post, "/v1/orders",
                        json: [
                            "customer": ["phone": phone, "email": "c\(index)@example.com"], "amount_minor": 123_456,
                            "currency": "CNY", "product": ["name": "黄山三日游", "category": "family"],
                            "ordered_at": "2026-10-0\(index + 1)T08:00:00+08:00", "travel_start": "2026-12-01",
                            "travel_end": "2026-12-03", "party_size": 2, "external_id": "BK-\(index)",
                        ],
                        token: tenant.token, headers: [HTTPField.Name("Idempotency-Key")!: "order-\(index)"])
                    #expect(order.status == .created)
                }
                _ = try await client.send(
                    .post, "/v1/interactions",
                    json: [
                        "customer": ["phone": "13800138000"], "type": "gate_entry",
                        "occurred_at": "2026-11-01T09:00:00Z",
                        "attributes": ["gate": "north"],
                    ],
                    token: tenant.token)
                _ = try await client.send(
                    .patch, "/v1/customers/1", json: ["consents": ["sms": ["granted": true]]], token: tenant.token)
                _ = try await client.send(
                    .post, "/v1/tags", json: ["name": "family", "rule": ["product_category": "family"]],
                    token: tenant.token)
                let imported = try await client.execute(
                    uri: "/v1/imports?kind=customers", method: .post,
                    headers: [.authorization: "Bearer \(tenant.token)", .contentType: "application/x-ndjson"],
                    body: ByteBuffer(string: "{\"email\": \"imported@example.com\", \"name\": \"导入\"}\nnot json\n"))
                #expect(imported.status == .created)
                _ = try await client.send(
                    .post, "/v1/segments",
                    json: ["name": "Two orders", "rule": ["field": "order_count", "op": ">=", "value": 2]],
                    token: tenant.token)
                #expect(
                    try await client.send(.post, "/v1/customers/1/merge", json: ["other_id": "2"], token: tenant.token)
                        .status == .ok)
                // A programme with a member, a ledger entry, its lot and a tier change.
                try await db.inTenant(tenant.slug) { connection in
                    try await connection.execute(
                        """
                        WITH p AS (
                            INSERT INTO programs (name, currency, points_per_unit, points_rounding, points_expiry,
                                                  tier_window, downgrade, enrolment, card_prefix)
                            VALUES ('Club', 'CNY', 1, 'down', 'end_of_year', 'calendar_year', 'immediate',
                                    'first_order', '88')
                            RETURNING id
                        ), t AS (
                            INSERT INTO tiers (program_id, code, name, rank, combine, min_orders)
                            SELECT id, 'potential', 'Potential', 1, 'all', 1 FROM p
                        ), s AS (
                            INSERT INTO program_card_sequences (program_id, last_number) SELECT id, 1 FROM p
                        ), m AS (
                            INSERT INTO members (program_id, customer_id, card_number, tier_code, tier_since,
                                                 points_balance)
                            SELECT id, 1, '8800000001', 'potential', now(), 1234 FROM p
                            RETURNING id
                        ), h AS (
                            INSERT INTO tier_history (member_id, from_tier, to_tier, source, figures, reason)
                            SELECT id, NULL, 'potential', 'order', '{"orders": 1}',
                                   'Order 1: 1 order in the window; Potential needs 1 order' FROM m
                        ), msg AS (
                            INSERT INTO messages (customer_id, channel, purpose, source, address, body, links)
                            VALUES (1, 'sms', 'service', 'api', '13800138000', 'See https://example.com/trip',
                                    '{https://example.com/trip}')
                        ), club AS (
                            INSERT INTO communities (name, visibility, member_count) VALUES ('Club', 'open', 1)
                            RETURNING id
                        ), joined AS (
                            INSERT INTO community_members (community_id, customer_id, source)
                            SELECT id, 1, 'api' FROM club
                        ), history AS (
                            INSERT INTO community_history (community_id, customer_id, action, source)
                            SELECT id, 1, 'joined', 'api' FROM club
                        ), meet AS (
                            INSERT INTO community_events (kind, title, starts_at, ends_at, state, registered_count)
                            VALUES ('meetup', 'Meet', now(), now() + interval '1 hour', 'open', 1)
                            RETURNING id
                        ), seat AS (
                            INSERT INTO event_registrations (event_id, customer_id, state, source)
                            SELECT id, 1, 'registered', 'api' FROM meet
                        ), entry AS (
                            INSERT INTO contest_entries (event_id, customer_id, image_url, votes)
                            SELECT id, 1, 'https://img.example.com/1.jpg', 1 FROM meet
                            RETURNING id
                        ), vote AS (
                            INSERT INTO contest_votes (entry_id, customer_id) SELECT id, 1 FROM entry
                        ), campaign AS (
                            INSERT INTO campaigns (name, lapsed_days_min, channel, template, holdout_percent,
                                                   attribution_days)
                            VALUES ('Back', 90, 'email', 'back', 10, 30)
                            RETURNING id
                        ), recipient AS (
                            INSERT INTO campaign_recipients (campaign_id, customer_id, grp, entered_at,
                                                             attribution_ends_at, prior_average_minor)
                            SELECT id, 1, 'treated', now(), now() + interval '30 days', 100 FROM campaign
                        ), complaint AS (
                            INSERT INTO complaints (customer_id, channel, category, severity, summary, opened_at,
                                                    first_response_minutes, resolution_minutes,
                                                    first_response_due_at, resolution_due_at, updated_at)
                            VALUES (1, 'phone', 'guide', 'normal', 'Late', now(), 60, 1440, now(), now(), now())
                            RETURNING id
                        ), complaint_event AS (
                            INSERT INTO complaint_events (complaint_id, type, state, at, actor)
                            SELECT id, 'opened', 'open', now(), 'user:x' FROM complaint
                        ), touchpoint_rule AS (
                            INSERT INTO touchpoint_rules (code, position, phase, anchor, offset_hours, channel, template)
                            VALUES ('guide', 0, 'pre', 'start', -72, 'sms', 'guide')
                        ), touchpoint AS (
                            INSERT INTO touchpoints (order_id, rule, phase, channel, template, due_at)
                            VALUES (1, 'guide', 'pre', 'sms', 'guide', now())
                        ), touchpoint_slot AS (
                            INSERT INTO touchpoint_slots (due_at) VALUES (now())
                        ), answer AS (
                            INSERT INTO nps_responses (customer_id, order_id, score, stage, source, responded_at)
                            VALUES (1, 1, 9, 'post', 'api', now())
                        ), insight AS (
                            INSERT INTO insight_snapshots (topic, computed_at, took_ms, data)
                            VALUES ('overview', now(), 1, '{}')
                        ), alert AS (
                            INSERT INTO risk_alerts (destination, starts_at, ends_at, severity, message, templates,
                                                     created_by)
                            VALUES ('Dali', now(), now(), 'warning', 'Floods', '{risk}', 'user:x')
                            RETURNING id
                        ), alerted AS (
                            INSERT INTO risk_alert_bookings (alert_id, order_id, customer_id, travel_start)
                            SELECT id, 1, 1, current_date FROM alert
                        ), offer AS (
                            INSERT INTO offers (name, benefit, code_mode, code_prefix, valid_until, redeemed_count)
                            VALUES ('Back', '¥200 off', 'per_recipient', 'BACK', now() + interval '30 days', 1)
                            RETURNING id
                        ), code AS (
                            INSERT INTO offer_codes (code, offer_id, customer_id, source)
                            SELECT 'BACK-0123456789', id, 1, 'api' FROM offer
                        ), redeemed AS (
                            INSERT INTO offer_redemptions (offer_id, customer_id, code)
                            SELECT id, 1, 'BACK-0123456789' FROM offer
                        ), e AS (
                            INSERT INTO points_ledger (member_id, kind, points, balance_after, order_id, actor_type)
                            SELECT id, 'earn', 1234, 1234, 1, 'system' FROM m
                            RETURNING id, member_id
                        )
                        INSERT INTO point_lots (entry_id, member_id, points, remaining, earned_at)
                        SELECT id, member_id, 1234, 1234, now() FROM e
                        """)
                }
                let before = try await Self.rows(db, tenantID: tenant.id)
                #expect(before["audit_events"]!.count >= 27)

                let noConfirm = try await client.send(
                    .delete, "/v1/platform/tenants/\(tenant.id)?confirm=wrong", headers: Self.auth)
                try #expect(
                    noConfirm.status == .unprocessableContent
                        && (try JSON.object(noConfirm.body)["field"] as? String) == "confirm")

                let schema = try await db.scalar(
                    "SELECT schema_name FROM itinera.tenants WHERE id = \(UUID(uuidString: tenant.id)!)",
                    as: String.self)!
                let deleted = try await client.send(
                    .delete, "/v1/platform/tenants/\(tenant.id)?confirm=\(tenant.slug)", headers: Self.auth)
                #expect(deleted.status == .ok)
                let archive = try JSON.object(deleted.body)
                let tables = archive["tables"] as! [[String: Any]]
                #expect(
                    Set(tables.map { $0["name"] as! String }) == [
                        "audit_events", "consents", "customer_identities", "customer_merges", "customers",
                        "customer_tags", "idempotency_keys", "imports", "interactions", "orders", "segments", "tags",
                        "tenant_settings", "programs", "tiers", "program_card_sequences", "members", "points_ledger",
                        "point_lots", "tier_history", "outbox_events", "webhook_endpoints", "webhook_deliveries",
                        "message_templates", "consent_history", "messages", "communities", "community_members",
                        "community_history", "community_events", "event_registrations", "offers", "offer_codes",
                        "offer_redemptions", "contest_entries", "contest_votes",
                        "campaigns", "campaign_recipients", "complaint_sla_policies", "complaints",
                        "complaint_events", "touchpoint_settings", "touchpoint_rules", "touchpoints",
                        "touchpoint_slots",
                        "risk_alerts", "risk_alert_bookings", "nps_responses", "care_settings", "insight_snapshots",
                    ])
                #expect(tables.allSatisfy { ($0["rows"] as! Int) > 0 })
                #expect(archive["users"] as? Int == 2)
                // Gone: the row, the schema, the role, the users and the sessions.
                #expect(
                    try await db.scalar(
                        "SELECT count(*)::int FROM itinera.tenants WHERE id = \(UUID(uuidString: tenant.id)!)",
                        as: Int.self) == 0)
                #expect(
                    try await db.scalar(
                        "SELECT count(*)::int FROM pg_namespace WHERE nspname = \(schema)", as: Int.self) == 0)
                #expect(
                    try await db.scalar("SELECT count(*)::int FROM pg_roles WHERE rolname = \(schema)", as: Int.self)
                        == 0)
                #expect(try await client.send(.get, "/v1/tenant", token: tenant.token).status == .unauthorized)
                #expect(try await client.send(.get, "/v1/tenant", token: bystander.token).status == .ok)

                let restored = try await client.send(
                    .post, "/v1/platform/restores",
                    json: ["archive": archive["archive"] as! String, "slug": "restored-\(tenant.slug.suffix(8))"],
                    headers: Self.auth)
                #expect(restored.status == .created, "\(String(buffer: restored.body))")
                let newID = try JSON.object(restored.body)["id"] as! String
                var after = try await Self.rows(db, tenantID: newID)
                // Deletion suspends the tenant first, and that is the archive's last event.
                let suspension = after["audit_events"]!.filter { $0.contains(#""action":"tenant.suspend""#) }
                #expect(suspension.count == 1)
                after["audit_events"]!.removeAll { suspension.contains($0) }
                #expect(after == before)
                // The owner signs in to the restored tenant with the same password, and the audit
                // trail carries on after the restored events.
                let signIn = try await client.send(
                    .post, "/v1/sessions",
                    json: [
                        "tenant": "restored-\(tenant.slug.suffix(8))", "email": "owner@\(tenant.slug).example",
                        "password": "correct horse battery",
                    ])
                #expect(signIn.status == .created)
                let token = try JSON.object(signIn.body)["token"] as! String
                #expect(
                    try await client.send(.patch, "/v1/tenant", json: ["name": "Restored"], token: token).status == .ok)
                let newest = try JSON.object(try await client.send(.get, "/v1/audit-events?limit=1", token: token).body)
                let newestID = Int((newest["items"] as! [[String: Any]])[0]["id"] as! String)!
                #expect(newestID > before["audit_events"]!.count)

                let taken = try await client.send(
                    .post, "/v1/platform/restores",
                    json: ["archive": archive["archive"] as! String, "slug": bystander.slug], headers: Self.auth)
                #expect(taken.status == .conflict)
                let badSlug = try await client.send(
                    .post, "/v1/platform/restores",
                    json: ["archive": archive["archive"] as! String, "slug": "Bad Slug"],
                    headers: Self.auth)
                try #expect(
                    badSlug.status == .unprocessableContent && (JSON.object(badSlug.body)["field"] as? String) == "slug"
                )
                let bad = try await client.send(
                    .post, "/v1/platform/restores", json: ["archive": "../etc/passwd", "slug": "abc"],
                    headers: Self.auth)
                #expect(bad.status == .unprocessableContent)
            }
        }
    }

    /// Every row of every table of the tenant's schema as JSON text, plus its users, by table.
    static func rows(_ db: TestDatabase, tenantID: String) async throws -> [String: [String]] {
        let id = UUID(uuidString: tenantID)!
        let schema = try await db.scalar("SELECT schema_name FROM itinera.tenants WHERE id = \(id)", as: String.self)!
        var result: [String: [String]] = [:]
        try await db.client.withConnection { connection in
            _ = try await connection.query("BEGIN", logger: db.logger).collect()
            _ = try await connection.query(
                "SELECT set_config('search_path', \(schema), true), set_config('role', \(schema), true)",
                logger: db.logger
            ).collect()
            for table in ["audit_events", "tenant_settings"] {
                let rows = try await connection.query(
                    PQStatement(unsafeSQL: "SELECT row_to_json(r)::text FROM \(table) r ORDER BY 1"),
                    logger: db.logger)
                result[table] = try await Self.strings(rows)
            }
            _ = try await connection.query("COMMIT", logger: db.logger).collect()
        }
        let users = try await db.client.query(
            "SELECT email || ' ' || role || ' ' || state || ' ' || coalesce(password_hash, '') FROM itinera.users WHERE tenant_id = \(id) ORDER BY email",
            logger: db.logger)
        result["users"] = try await Self.strings(users)
        return result
    }

    static func strings(_ rows: PQRows) async throws -> [String] {
        var values: [String] = []
        for try await value in rows.decode(String.self) { values.append(value) }
        return values
    }
}
