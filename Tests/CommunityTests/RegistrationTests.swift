import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ItineraTestSupport
import Testing

@testable import Itinera

/// Event registrations against the real database with real concurrent requests: capacity decided by
/// the database, the waiting list in arrival order, promotions in order, idempotent check-in.
@Suite struct RegistrationTests {
    /// One answer to a registration.
    struct Answer: Sendable, CustomStringConvertible {
        let person: String
        let status: Int
        let id: Int64
        let state: String?
        let position: Int?
        let body: String

        init(person: String, _ response: TestResponse) throws {
            let json = try JSON.object(response.body)
            self.person = person
            status = response.status.code
            id = (json["id"] as? String).flatMap { Int64($0) } ?? 0
            state = json["state"] as? String
            position = json["waitlist_position"] as? Int
            body = String(buffer: response.body)
        }

        var description: String { "\(status) \(body)" }
    }

    /// Customers made in one statement of the tenant (`count` of them), answering their ids in order.
    static func customers(_ count: Int, db: TestDatabase, tenant: String) async throws -> [String] {
        try await db.inTenant(tenant) { connection in
            try await connection.query(
                """
                INSERT INTO customers (name) SELECT 'Guest ' || n FROM generate_series(1, \(count)) n RETURNING id
                """
            ).collect().map { String(try $0[0].decode(Int64.self)) }.sorted { Int($0)! < Int($1)! }
        }
    }

    /// Sends again after a 503 (no connection or lock within its limit on a loaded machine, nothing
    /// written), as clients do.
    static func retrying(_ send: () async throws -> TestResponse) async throws -> TestResponse {
        for _ in 0..<5 {
            let response = try await send()
            guard response.status == .serviceUnavailable else { return response }
            try await Task.sleep(for: .seconds(1))
        }
        return try await send()
    }

    static func event(
        _ client: some TestClientProtocol, token: String, _ fields: [String: Any] = [:]
    ) async throws -> String {
        var body: [String: Any] = [
            "kind": "sharing_session", "title": "Lijiang photo walk", "starts_at": "2030-05-01T09:00:00+08:00",
            "ends_at": "2030-05-01T12:00:00+08:00", "state": "open",
        ]
        body.merge(fields) { _, given in given }
        let response = try await client.send(.post, "/v1/events", json: body, token: token)
        #expect(response.status == .created, "\(String(buffer: response.body))")
        return try JSON.object(response.body)["id"] as? String ?? ""
    }

    /// 200 concurrent registrations for 50 seats: exactly 50 registered, 150 waitlisted in arrival
    /// order, nobody twice; then 20 concurrent cancellations promote exactly the first 20 waiting, in
    /// order; the counts agree with the rows.
    @Test func test_200ConcurrentRegistrations_for50Seats_and20ConcurrentCancellations() async throws {
        try await TestDatabase.with(connections: 20) { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "seats")
                let people = try await Self.customers(200, db: db, tenant: tenant.slug)
                let event = try await Self.event(client, token: tenant.token, ["capacity": 50])
                let answers = try await withThrowingTaskGroup(of: Answer.self) { group in
                    for person in people {
                        group.addTask {
                            let response = try await Self.retrying {
                                try await client.send(
                                    .post, "/v1/events/\(event)/registrations", json: ["customer_id": person],
                                    token: tenant.token)
                            }
                            return try Answer(person: person, response)
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(answers.allSatisfy { $0.status == 201 }, "\(answers.filter { $0.status != 201 }.prefix(3))")
                #expect(answers.filter { $0.state == "registered" }.count == 50)
                #expect(answers.filter { $0.state == "waitlisted" }.count == 150)
                // Positions 1…150, each once, in the order the registrations were made.
                let waiting = answers.filter { $0.state == "waitlisted" }.sorted { $0.id < $1.id }
                #expect(waiting.map(\.position) == Array(1...150))
                #expect(Set(answers.map(\.person)).count == 200)

                let rows = try await db.inTenant(tenant.slug) { connection in
                    try await connection.query(
                        """
                        SELECT (SELECT count(DISTINCT customer_id) FROM event_registrations WHERE event_id = \(Int64(event)!))::int,
                               registered_count, waitlisted_count FROM community_events WHERE id = \(Int64(event)!)
                        """
                    ).first!.decode((Int, Int, Int).self)
                }
                #expect(rows == (200, 50, 150))

                // Twenty of the seated cancel at once: the first twenty waiting get their seats, in order.
                let seated = answers.filter { $0.state == "registered" }.prefix(20).map(\.id)
                let promoted = try await withThrowingTaskGroup(of: Int64?.self) { group in
                    for registration in seated {
                        group.addTask {
                            let response = try await Self.retrying {
                                try await client.send(
                                    .delete, "/v1/events/\(event)/registrations/\(registration)", token: tenant.token)
                            }
                            #expect(response.status == .ok)
                            let promoted = try JSON.object(response.body)["promoted"] as? [String: Any]
                            return (promoted?["id"] as? String).flatMap { Int64($0) }
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(promoted.compactMap { $0 }.count == 20)
                let firstTwenty = waiting.prefix(20).map(\.id)
                #expect(Set(promoted.compactMap { $0 }) == Set(firstTwenty))
                let list = try JSON.object(
                    try await client.send(
                        .get, "/v1/events/\(event)/registrations?state=registered&limit=200", token: tenant.token
                    ).body)
                let registered = (list["items"] as? [[String: Any]] ?? []).compactMap {
                    ($0["id"] as? String).flatMap { Int64($0) }
                }
                #expect(registered.count == 50)
                #expect(Set(firstTwenty).isSubset(of: Set(registered)))
                let next = try JSON.object(
                    try await client.send(
                        .get, "/v1/events/\(event)/registrations/\(waiting[20].id)",
                        token: tenant.token
                    ).body)
                #expect(next["waitlist_position"] as? Int == 1)
                let eventView = try JSON.object(
                    try await client.send(.get, "/v1/events/\(event)", token: tenant.token).body)
                #expect(eventView["registered_count"] as? Int == 50 && eventView["waitlisted_count"] as? Int == 130)
            }
        }
    }

    /// Gates, windows and a full event are refused with the condition named and nothing written; a
    /// check-in re-sent with its nonce counts once; the report counts attendance.
    @Test func test_refusalsNameTheCondition_andACheckInResentCountsOnce() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "gate")
                let people = try await Self.customers(4, db: db, tenant: tenant.slug)
                let club =
                    try JSON.object(
                        try await client.send(
                            .post, "/v1/communities", json: ["name": "Photo club", "visibility": "open"],
                            token: tenant.token
                        ).body)["id"] as! String
                let members = try await Self.event(
                    client, token: tenant.token, ["community_id": club, "capacity": 1, "waitlist_capacity": 0])
                func register(_ event: String, _ person: String) async throws -> (Int, [String: Any]) {
                    let response = try await client.send(
                        .post, "/v1/events/\(event)/registrations", json: ["customer_id": person], token: tenant.token)
                    return (response.status.code, try JSON.object(response.body))
                }
                let outsider = try await register(members, people[0])
                #expect(outsider.0 == 403 && outsider.1["condition"] as? String == "community_membership")
                #expect(
                    try await client.send(
                        .post, "/v1/communities/\(club)/members", json: ["customer_id": people[0]],
                        token: tenant.token
                    ).status == .created)
                #expect(
                    try await client.send(
                        .post, "/v1/communities/\(club)/members", json: ["customer_id": people[1]],
                        token: tenant.token
                    ).status == .created)
                let seat = try await register(members, people[0])
                #expect(seat.0 == 201 && seat.1["state"] as? String == "registered")
                let twice = try await register(members, people[0])
                #expect(twice.0 == 409 && twice.1["condition"] as? String == "already_registered")
                let full = try await register(members, people[1])
                #expect(full.0 == 409 && full.1["condition"] as? String == "capacity")

                let draft = try await Self.event(client, token: tenant.token, ["state": "draft"])
                let notOpen = try await register(draft, people[2])
                #expect(notOpen.0 == 409 && notOpen.1["condition"] as? String == "state")
                let later = try await Self.event(
                    client, token: tenant.token, ["registration_opens_at": "2030-01-01T00:00:00Z"])
                let early = try await register(later, people[2])
                #expect(early.0 == 409 && early.1["condition"] as? String == "registration_window")
                let count = try await db.tenantCount("event_registrations", tenant: tenant.slug)
                #expect(count == 1)

                // Check-in: once, whatever the device re-sends; another device is told.
                let registration = seat.1["id"] as! String
                let path = "/v1/events/\(members)/registrations/\(registration)/check-in"
                let first = try await client.send(.post, path, json: ["nonce": "gate-7:0001"], token: tenant.token)
                #expect(first.status == .ok)
                let again = try await client.send(.post, path, json: ["nonce": "gate-7:0001"], token: tenant.token)
                #expect(again.status == .ok)
                #expect(
                    try JSON.object(first.body)["checked_in_at"] as? String
                        == JSON.object(again.body)["checked_in_at"] as? String)
                #expect(
                    try await client.send(.post, path, json: ["nonce": "gate-9:0001"], token: tenant.token).status
                        == .conflict)
                let report = try JSON.object(
                    try await client.send(.get, "/v1/events/\(members)/report", token: tenant.token).body)
                #expect(report["registered"] as? Int == 1 && report["attended"] as? Int == 1)
                let types = try await db.inTenant(tenant.slug) { connection in
                    try await connection.query(
                        "SELECT type FROM outbox_events WHERE type LIKE 'registration.%' ORDER BY position"
                    ).collect().map { try $0.decode(String.self) }
                }
                #expect(types == ["registration.created", "registration.checked_in"])
                let timeline = try JSON.object(
                    try await client.send(.get, "/v1/customers/\(people[0])/timeline", token: tenant.token).body)
                let kinds = (timeline["items"] as? [[String: Any]] ?? []).compactMap { $0["kind"] as? String }
                #expect(kinds.contains("event_registration") && kinds.contains("community"))
            }
        }
    }

    /// The waiting list's voucher: a freed seat is offered for the event's hold; confirmed in time it
    /// is the customer's, and when the hold runs out the job its promotion queued passes it on.
    @Test func test_aFreedSeatIsHeld_confirmedInTime_orPassedOnWhenTheHoldRunsOut() async throws {
        try await TestDatabase.with { db in
            let parts = db.parts { $0.jobWorkers = 0 }
            let app = Application(router: try buildRouter(parts))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "hold")
                let people = try await Self.customers(3, db: db, tenant: tenant.slug)
                let event = try await Self.event(client, token: tenant.token, ["capacity": 1, "hold_hours": 24])
                var registrations: [String] = []
                for person in people {
                    let response = try await client.send(
                        .post, "/v1/events/\(event)/registrations", json: ["customer_id": person], token: tenant.token)
                    registrations.append(try JSON.object(response.body)["id"] as! String)
                }
                let cancelled = try JSON.object(
                    try await client.send(
                        .delete, "/v1/events/\(event)/registrations/\(registrations[0])", token: tenant.token
                    ).body)
                let offered = cancelled["promoted"] as? [String: Any]
                #expect(offered?["id"] as? String == registrations[1] && offered?["state"] as? String == "offered")
                #expect(offered?["hold_until"] != nil)
                // Offered, not yet confirmed: it holds the seat but does not check in.
                #expect(
                    try await client.send(
                        .post, "/v1/events/\(event)/registrations/\(registrations[1])/check-in", json: ["nonce": "g1"],
                        token: tenant.token
                    ).status == .conflict)

                // The hold runs out: the job its promotion queued passes the seat to the next waiting.
                try await db.inTenant(tenant.slug) { connection in
                    try await connection.execute(
                        "UPDATE event_registrations SET hold_until = now() - interval '1 second' WHERE state = 'offered'"
                    )
                }
                try await db.client.execute(
                    "UPDATE itinera.jobs SET run_after = now() WHERE kind = 'community.expire_holds'",
                    logger: testLogger)
                #expect(try await makeJobWorker(parts).drain() >= 1)
                let lapsed = try JSON.object(
                    try await client.send(
                        .get, "/v1/events/\(event)/registrations/\(registrations[1])", token: tenant.token
                    ).body)
                #expect(lapsed["state"] as? String == "cancelled")
                let next = try JSON.object(
                    try await client.send(
                        .get, "/v1/events/\(event)/registrations/\(registrations[2])", token: tenant.token
                    ).body)
                #expect(next["state"] as? String == "offered")
                #expect(
                    try await client.send(
                        .post, "/v1/events/\(event)/registrations/\(registrations[1])/confirm", token: tenant.token
                    ).status == .conflict)
                let confirmed = try await client.send(
                    .post, "/v1/events/\(event)/registrations/\(registrations[2])/confirm", token: tenant.token)
                #expect(confirmed.status == .ok)
                #expect(try JSON.object(confirmed.body)["state"] as? String == "registered")
                let view = try JSON.object(try await client.send(.get, "/v1/events/\(event)", token: tenant.token).body)
                #expect(view["registered_count"] as? Int == 1 && view["waitlisted_count"] as? Int == 0)
            }
        }
    }
}
