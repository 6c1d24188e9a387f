import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ItineraTestSupport
import Testing

@testable import Itinera

/// Communities: who may join, the members list, leaving, the audit trail and the outbox; events'
/// capacity raised and the event cancelled, with the registrants told.
@Suite struct CommunityTests {
    /// A programme whose tiers are potential (1), gold (2), diamond (3), with one customer at gold.
    static func goldCustomer(db: TestDatabase, tenant: String) async throws -> (
        program: String, gold: String, none: String
    ) {
        try await db.inTenant(tenant) { connection in
            let row = try await connection.query(
                """
                WITH p AS (
                    INSERT INTO programs (name, currency, points_per_unit, points_rounding, points_expiry,
                                          tier_window, downgrade, enrolment, card_prefix)
                    VALUES ('Club', 'CNY', 1, 'down', 'end_of_year', 'calendar_year', 'immediate', 'first_order', '88')
                    RETURNING id
                ), t AS (
                    INSERT INTO tiers (program_id, code, name, rank, combine)
                    SELECT p.id, v.code, v.name, v.rank, 'all' FROM p,
                           (VALUES ('potential', 'Potential', 1), ('gold', 'Gold', 2), ('diamond', 'Diamond', 3))
                               AS v(code, name, rank)
                ), c AS (
                    INSERT INTO customers (name) VALUES ('Gold'), ('Nobody') RETURNING id
                ), m AS (
                    INSERT INTO members (program_id, customer_id, card_number, tier_code, tier_since)
                    SELECT p.id, (SELECT min(id) FROM c), '8800000001', 'gold', now() FROM p
                )
                SELECT p.id, (SELECT min(id) FROM c), (SELECT max(id) FROM c) FROM p
                """
            ).first!.decode((Int64, Int64, Int64).self)
            return (String(row.0), String(row.1), String(row.2))
        }
    }

    @Test func test_gates_byInvitationAndByTier_nameTheCondition_andMembershipIsAuditedAndPublished() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "club")
                let (program, gold, nobody) = try await Self.goldCustomer(db: db, tenant: tenant.slug)
                func create(_ body: [String: Any]) async throws -> TestResponse {
                    try await client.send(.post, "/v1/communities", json: body, token: tenant.token)
                }
                let badTier = try await create(
                    ["name": "Gold", "visibility": "tier", "program_id": program, "min_tier": "platinum"])
                #expect(badTier.status == .unprocessableContent)
                #expect(try JSON.object(badTier.body)["field"] as? String == "min_tier")
                let noTier = try await create(["name": "Gold", "visibility": "tier"])
                #expect(noTier.status == .unprocessableContent)
                let goldClub =
                    try JSON.object(
                        try await create([
                            "name": "Gold", "visibility": "tier", "program_id": program, "min_tier": "gold",
                        ])
                        .body)["id"] as! String
                let secret =
                    try JSON.object(
                        try await create(["name": "Founders", "visibility": "invitation"]).body)["id"] as! String

                // A partner key may not add anyone to a club by invitation; the owner may.
                let key =
                    try JSON.object(
                        try await client.send(
                            .post, "/v1/api-keys", json: ["name": "mini-program", "scopes": ["community:write"]],
                            token: tenant.token
                        ).body)["secret"] as! String
                let byKey = try await client.send(
                    .post, "/v1/communities/\(secret)/members", json: ["customer_id": gold], token: key)
                #expect(byKey.status == .forbidden)
                #expect(try JSON.object(byKey.body)["condition"] as? String == "invitation")
                #expect(
                    try await client.send(
                        .post, "/v1/communities/\(secret)/members", json: ["customer_id": gold], token: tenant.token
                    ).status == .created)

                let below = try await client.send(
                    .post, "/v1/communities/\(goldClub)/members", json: ["customer_id": nobody], token: key)
                #expect(below.status == .forbidden)
                #expect(try JSON.object(below.body)["condition"] as? String == "min_tier")
                let joined = try await client.send(
                    .post, "/v1/communities/\(goldClub)/members", json: ["customer_id": gold], token: key)
                #expect(joined.status == .created)
                let again = try await client.send(
                    .post, "/v1/communities/\(goldClub)/members", json: ["customer_id": gold], token: key)
                #expect(again.status == .ok)
                let club = try JSON.object(
                    try await client.send(.get, "/v1/communities/\(goldClub)", token: tenant.token).body)
                #expect(club["member_count"] as? Int == 1)
                // Reading needs community:read, which this key lacks.
                #expect(
                    try await client.send(.get, "/v1/communities/\(goldClub)/members", token: key).status
                        == .forbidden)
                let members = try JSON.object(
                    try await client.send(.get, "/v1/communities/\(goldClub)/members", token: tenant.token).body)
                #expect((members["items"] as? [[String: Any]])?.map { $0["customer_id"] as? String } == [gold])
                // The customer's one view names the membership (programme, tier, points) and both clubs,
                // in the order joined; the customer below every tier has neither.
                let view = try JSON.object(
                    try await client.send(.get, "/v1/customers/\(gold)", token: tenant.token).body)
                let membership = try #require((view["memberships"] as? [[String: Any]])?.first)
                #expect(membership["program_id"] as? String == program && membership["program"] as? String == "Club")
                #expect(
                    membership["card_number"] as? String == "8800000001" && membership["points_balance"] as? Int == 0)
                #expect((membership["tier"] as? [String: Any])?["name"] as? String == "Gold")
                #expect(
                    (view["communities"] as? [[String: Any]])?.map { $0["name"] as? String } == ["Founders", "Gold"])
                let plain = try JSON.object(
                    try await client.send(.get, "/v1/customers/\(nobody)", token: tenant.token).body)
                #expect(
                    (plain["memberships"] as? [Any])?.isEmpty == true
                        && (plain["communities"] as? [Any])?.isEmpty == true)

                #expect(
                    try await client.send(
                        .delete, "/v1/communities/\(goldClub)/members?customer_id=\(gold)", token: key
                    ).status == .noContent)
                #expect(
                    try await client.send(
                        .delete, "/v1/communities/\(goldClub)/members?customer_id=\(gold)", token: key
                    ).status == .notFound)
                let types = try await db.inTenant(tenant.slug) { connection in
                    try await connection.query(
                        "SELECT type FROM outbox_events WHERE type LIKE 'community.%' ORDER BY position"
                    ).collect().map { try $0.decode(String.self) }
                }
                #expect(types == ["community.joined", "community.joined", "community.left"])
                let audit = try JSON.object(
                    try await client.send(.get, "/v1/audit-events?action=community.create", token: tenant.token).body)
                #expect((audit["items"] as? [[String: Any]])?.count == 2)
                #expect(try await db.tenantCount("community_members", tenant: tenant.slug) == 1)
            }
        }
    }

    /// A raised capacity promotes the waiting list in order; a lower one than the seats taken is a
    /// 409; cancelling the event tells each registrant with the `event-cancelled` template.
    @Test func test_capacityRaised_promotesInOrder_andCancellingTellsTheRegistrants() async throws {
        try await TestDatabase.with { db in
            let parts = db.parts { configuration in
                configuration.mail = try? MailSettings(url: "smtp://127.0.0.1:2525", from: "trips@itinera.test")
                configuration.jobWorkers = 0
            }
            let app = Application(router: try buildRouter(parts))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "cap")
                _ = try await client.send(
                    .put, "/v1/message-templates/event-cancelled",
                    json: [
                        "channel": "email", "purpose": "service", "subject": "{{event.title}} is off",
                        "body":
                            "{{customer.first_name}}, {{event.title}} on {{event.starts_at}} is cancelled: {{event.reason}}",
                    ], token: tenant.token)
                var people: [String] = []
                for index in 0..<4 {
                    let response = try await client.send(
                        .post, "/v1/customers",
                        json: [
                            "email": "guest\(index)@example.com", "name": "Guest\(index) Li",
                            "consents": ["email": ["granted": index != 3]],
                        ], token: tenant.token)
                    people.append(try JSON.object(response.body)["id"] as! String)
                }
                let event = try await RegistrationTests.event(client, token: tenant.token, ["capacity": 1])
                var registrations: [String] = []
                for person in people {
                    let response = try await client.send(
                        .post, "/v1/events/\(event)/registrations", json: ["customer_id": person], token: tenant.token)
                    registrations.append(try JSON.object(response.body)["id"] as! String)
                }
                let raised = try await client.send(
                    .patch, "/v1/events/\(event)", json: ["capacity": 3], token: tenant.token)
                #expect(raised.status == .ok)
                let view = try JSON.object(raised.body)
                #expect(view["registered_count"] as? Int == 3 && view["waitlisted_count"] as? Int == 1)
                // Shown on the tenant's clock too.
                #expect(view["timezone"] as? String == "Asia/Shanghai")
                #expect(view["starts_at_local"] as? String == "2030-05-01T09:00")
                for (index, registration) in registrations.enumerated() {
                    let one = try JSON.object(
                        try await client.send(
                            .get, "/v1/events/\(event)/registrations/\(registration)", token: tenant.token
                        ).body)
                    #expect(one["state"] as? String == (index < 3 ? "registered" : "waitlisted"))
                }
                let lower = try await client.send(
                    .patch, "/v1/events/\(event)", json: ["capacity": 2], token: tenant.token)
                #expect(lower.status == .conflict)
                #expect(try JSON.object(lower.body)["field"] as? String == "capacity")

                let cancelled = try await client.send(
                    .patch, "/v1/events/\(event)", json: ["state": "cancelled", "cancelled_reason": "Typhoon"],
                    token: tenant.token)
                #expect(cancelled.status == .ok)
                #expect(
                    try await client.send(.patch, "/v1/events/\(event)", json: ["state": "open"], token: tenant.token)
                        .status == .conflict)
                // Everyone registered or waiting who consented is told; the one without consent is not.
                let messages = try JSON.object(
                    try await client.send(.get, "/v1/messages?limit=10", token: tenant.token).body)
                let items = messages["items"] as? [[String: Any]] ?? []
                #expect(Set(items.compactMap { $0["customer_id"] as? String }) == Set(people.prefix(3)))
                #expect(items.allSatisfy { $0["source"] as? String == "community" })
                #expect(
                    items.contains {
                        ($0["body"] as? String)?.contains(
                            "Lijiang photo walk on 2030-05-01 09:00 is cancelled: Typhoon")
                            == true
                    })
                let audit = try JSON.object(
                    try await client.send(.get, "/v1/audit-events?action=event.cancel", token: tenant.token).body)
                #expect((audit["items"] as? [[String: Any]])?.count == 1)
            }
        }
    }

    /// A customer promoted from the waiting list by a cancellation is told with the tenant's
    /// `event-promoted` template, in the cancellation's transaction; one without consent is not.
    @Test func test_aPromotedCustomer_isToldWithTheEventPromotedTemplate() async throws {
        try await TestDatabase.with { db in
            let parts = db.parts { configuration in
                configuration.mail = try? MailSettings(url: "smtp://127.0.0.1:2525", from: "trips@itinera.test")
                configuration.jobWorkers = 0
            }
            let app = Application(router: try buildRouter(parts))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "promo")
                _ = try await client.send(
                    .put, "/v1/message-templates/event-promoted",
                    json: [
                        "channel": "email", "purpose": "service", "subject": "A seat for {{event.title}}",
                        "body": "{{customer.first_name}}, a seat at {{event.title}} on {{event.starts_at}} is yours.",
                    ], token: tenant.token)
                var people: [String] = []
                for index in 0..<3 {
                    let response = try await client.send(
                        .post, "/v1/customers",
                        json: [
                            "email": "wait\(index)@example.com", "name": "Wait\(index) Li",
                            "consents": ["email": ["granted": index != 2]],
                        ], token: tenant.token)
                    people.append(try JSON.object(response.body)["id"] as! String)
                }
                let event = try await RegistrationTests.event(client, token: tenant.token, ["capacity": 1])
                var registrations: [String] = []
                for person in people {
                    let response = try await client.send(
                        .post, "/v1/events/\(event)/registrations", json: ["customer_id": person], token: tenant.token)
                    registrations.append(try JSON.object(response.body)["id"] as! String)
                }
                func messages() async throws -> [[String: Any]] {
                    let page = try JSON.object(
                        try await client.send(.get, "/v1/messages?limit=10", token: tenant.token).body)
                    return page["items"] as? [[String: Any]] ?? []
                }
                #expect(try await messages().isEmpty)
                // The first cancels: the second, waiting first, gets the seat and the message.
                #expect(
                    try await client.send(
                        .delete, "/v1/events/\(event)/registrations/\(registrations[0])", token: tenant.token
                    ).status == .ok)
                let told = try await messages()
                #expect(told.count == 1)
                #expect(told.first?["customer_id"] as? String == people[1])
                #expect(told.first?["template"] as? String == "event-promoted")
                #expect(told.first?["source_ref"] as? String == "event:\(event)")
                #expect(
                    (told.first?["body"] as? String)?.contains(
                        "Wait1, a seat at Lijiang photo walk on 2030-05-01 09:00")
                        == true)
                // The second cancels: the third gets the seat, but has not consented, so no message.
                #expect(
                    try await client.send(
                        .delete, "/v1/events/\(event)/registrations/\(registrations[1])", token: tenant.token
                    ).status == .ok)
                let promoted = try JSON.object(
                    try await client.send(
                        .get, "/v1/events/\(event)/registrations/\(registrations[2])", token: tenant.token
                    ).body)
                #expect(promoted["state"] as? String == "registered")
                #expect(try await messages().count == 1)
            }
        }
    }

    /// The report: members, active members, attendance, and members' average spend against the
    /// other buyers' over the same period.
    @Test func test_report_comparesMembersSpendWithOtherBuyers() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "report")
                let people = try await RegistrationTests.customers(4, db: db, tenant: tenant.slug)
                let club =
                    try JSON.object(
                        try await client.send(
                            .post, "/v1/communities", json: ["name": "Club", "visibility": "open"], token: tenant.token
                        ).body)["id"] as! String
                for person in people.prefix(2) {
                    _ = try await client.send(
                        .post, "/v1/communities/\(club)/members", json: ["customer_id": person], token: tenant.token)
                }
                // Members spend 300,000 and 0; the two others 50,000 each.
                for (index, (person, amount)) in [
                    (people[0], 300_000), (people[2], 50_000), (people[3], 50_000),
                ].enumerated() {
                    let order = try await client.send(
                        .post, "/v1/orders",
                        json: [
                            "customer": ["id": person], "amount_minor": amount, "currency": "CNY",
                            "product": ["name": "Tour", "category": "tour"], "ordered_at": "2026-11-01T08:00:00Z",
                            "external_id": "R-\(index)",
                        ], token: tenant.token, headers: [HTTPField.Name("Idempotency-Key")!: "r-\(index)"])
                    #expect(order.status == .created, "\(String(buffer: order.body))")
                }
                let report = try JSON.object(
                    try await client.send(
                        .get, "/v1/communities/\(club)/report?from=2026-01-01T00:00:00Z&to=2026-12-31T00:00:00Z",
                        token: tenant.token
                    ).body)
                #expect(report["members"] as? Int == 2 && report["active_members"] as? Int == 1)
                #expect(report["joined"] as? Int == 2 && report["left"] as? Int == 0)
                #expect(report["member_spend_minor"] as? Int == 300_000)
                #expect(report["member_average_spend_minor"] as? Int == 150_000)
                #expect(
                    report["non_members"] as? Int == 2 && report["non_member_average_spend_minor"] as? Int == 50_000)
                #expect(report["spend_ratio"] as? Double == 3.0)
                let backwards = try await client.send(
                    .get, "/v1/communities/\(club)/report?from=2026-12-31T00:00:00Z&to=2026-01-01T00:00:00Z",
                    token: tenant.token)
                #expect(backwards.status == .unprocessableContent)
            }
        }
    }

    /// A photo contest: one entry each, one vote per voter per entry within the window and never
    /// for one's own; winners by votes only once voting has closed, or chosen by an admin now.
    @Test func test_photoContest_entriesVotesAndWinners() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "contest")
                let people = try await RegistrationTests.customers(3, db: db, tenant: tenant.slug)
                let contest = try await RegistrationTests.event(
                    client, token: tenant.token,
                    [
                        "kind": "contest", "title": "Best of Lijiang", "voting_opens_at": "2020-01-01T00:00:00Z",
                        "voting_closes_at": "2030-01-01T00:00:00Z",
                    ])
                var entries: [String] = []
                for (index, person) in people.prefix(2).enumerated() {
                    let entry = try await client.send(
                        .post, "/v1/events/\(contest)/entries",
                        json: [
                            "customer_id": person, "image_url": "https://img.example.com/\(index).jpg",
                            "caption": "Jade Dragon \(index)",
                        ], token: tenant.token)
                    #expect(entry.status == .created, "\(String(buffer: entry.body))")
                    entries.append(try JSON.object(entry.body)["id"] as! String)
                }
                let twice = try await client.send(
                    .post, "/v1/events/\(contest)/entries",
                    json: ["customer_id": people[0], "image_url": "https://img.example.com/9.jpg"], token: tenant.token)
                #expect(twice.status == .conflict)
                #expect(try JSON.object(twice.body)["condition"] as? String == "already_entered")

                func vote(_ entry: String, _ person: String) async throws -> TestResponse {
                    try await client.send(
                        .post, "/v1/events/\(contest)/entries/\(entry)/votes", json: ["customer_id": person],
                        token: tenant.token)
                }
                let own = try await vote(entries[0], people[0])
                #expect(own.status == .conflict)
                #expect(try JSON.object(own.body)["condition"] as? String == "own_entry")
                #expect(try await vote(entries[1], people[0]).status == .created)
                #expect(try await vote(entries[1], people[2]).status == .created)
                let again = try await vote(entries[1], people[2])
                #expect(again.status == .ok)
                #expect(try JSON.object(again.body)["votes"] as? Int == 2)
                #expect(try await vote(entries[0], people[2]).status == .created)

                let early = try await client.send(
                    .put, "/v1/events/\(contest)/winners", json: ["count": 1], token: tenant.token)
                #expect(early.status == .conflict)
                let chosen = try await client.send(
                    .put, "/v1/events/\(contest)/winners", json: ["entry_ids": [entries[0]]], token: tenant.token)
                #expect(chosen.status == .ok)
                let list = try JSON.object(
                    try await client.send(.get, "/v1/events/\(contest)/entries", token: tenant.token).body)
                let items = list["items"] as? [[String: Any]] ?? []
                #expect(items.map { $0["id"] as? String } == [entries[0], entries[1]])
                #expect(items.first?["winner_rank"] as? Int == 1 && items.last?["votes"] as? Int == 2)
                let audit = try JSON.object(
                    try await client.send(.get, "/v1/audit-events?action=contest.winners", token: tenant.token).body)
                #expect((audit["items"] as? [[String: Any]])?.count == 1)
            }
        }
    }

    /// A merge: memberships and registrations follow the merged customer to the survivor; a club
    /// both were in keeps one membership, and a second seat at one event is cancelled and goes to the
    /// first waiting.
    @Test func test_aMerge_movesMembershipsAndRegistrations_withoutDoubles() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "merge")
                let people = try await RegistrationTests.customers(3, db: db, tenant: tenant.slug)
                let (keep, other, waiting) = (people[0], people[1], people[2])
                let club =
                    try JSON.object(
                        try await client.send(
                            .post, "/v1/communities", json: ["name": "Club", "visibility": "open"], token: tenant.token
                        ).body)["id"] as! String
                for person in [keep, other] {
                    _ = try await client.send(
                        .post, "/v1/communities/\(club)/members", json: ["customer_id": person], token: tenant.token)
                }
                let event = try await RegistrationTests.event(client, token: tenant.token, ["capacity": 2])
                var registrations: [String] = []
                for person in [keep, other, waiting] {
                    let response = try await client.send(
                        .post, "/v1/events/\(event)/registrations", json: ["customer_id": person], token: tenant.token)
                    registrations.append(try JSON.object(response.body)["id"] as! String)
                }
                let merged = try await client.send(
                    .post, "/v1/customers/\(keep)/merge", json: ["other_id": other], token: tenant.token)
                #expect(merged.status == .ok, "\(String(buffer: merged.body))")
                let clubView = try JSON.object(
                    try await client.send(.get, "/v1/communities/\(club)", token: tenant.token).body)
                #expect(clubView["member_count"] as? Int == 1)
                let list = try JSON.object(
                    try await client.send(.get, "/v1/events/\(event)/registrations", token: tenant.token).body)
                let states = (list["items"] as? [[String: Any]] ?? []).map {
                    ($0["customer_id"] as? String ?? "", $0["state"] as? String ?? "")
                }
                #expect(states.map(\.1) == ["registered", "cancelled", "registered"])
                #expect(states.map(\.0) == [keep, keep, waiting])
                let view = try JSON.object(try await client.send(.get, "/v1/events/\(event)", token: tenant.token).body)
                #expect(view["registered_count"] as? Int == 2 && view["waitlisted_count"] as? Int == 0)
            }
        }
    }
}
