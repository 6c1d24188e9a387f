import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ItineraTestSupport
import Synchronization
import Testing

@testable import Itinera

/// Complaints and their service levels against the real database, with a clock the test controls.
@Suite struct ComplaintTests {
    static let start = Date(timeIntervalSince1970: 1_893_456_000)  // 2030-01-01T00:00:00Z

    static func customer(_ client: some TestClientProtocol, token: String, email: String) async throws -> String {
        let response = try await client.send(.post, "/v1/customers", json: ["email": email], token: token)
        return try JSON.object(response.body)["id"] as! String
    }

    static func complaint(_ client: some TestClientProtocol, token: String, customer: String) async throws
        -> [String: Any]
    {
        let response = try await client.send(
            .post, "/v1/complaints",
            json: [
                "customer_id": customer, "channel": "phone", "category": "guide", "severity": "high",
                "summary": "The guide did not come to the hotel.",
            ], token: token)
        #expect(response.status == .created, "\(String(buffer: response.body))")
        return try JSON.object(response.body)
    }

    static func move(_ client: some TestClientProtocol, _ id: String, token: String, _ body: [String: Any])
        async throws -> TestResponse
    {
        try await client.send(.patch, "/v1/complaints/\(id)", json: body, token: token)
    }

    static func date(_ value: Any?) -> Date? { JSON.date(value) }

    /// Answered after 61 minutes: a first-response breach. Waiting on the customer for 30 hours
    /// does not count towards the resolution, whose due time moves on by the pause. A complaint
    /// nobody answers is breached when its hour has passed, without any change of its own.
    @Test func test_firstResponseAfter61Minutes_isABreach_andWaitingOnTheCustomerPausesTheResolution() async throws {
        let clock = ManualClock(Self.start)
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts { $0.clock = clock.wallClock }))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "care")
                let token = tenant.token
                let customer = try await Self.customer(client, token: token, email: "late@example.com")

                let late = try await Self.complaint(client, token: token, customer: customer)
                let lateID = late["id"] as! String
                #expect(Self.date(late["first_response_due_at"]) == Self.start.addingTimeInterval(3_600))
                #expect(Self.date(late["resolution_due_at"]) == Self.start.addingTimeInterval(86_400))
                #expect(late["state"] as? String == "open" && late["first_response_breached"] as? Bool == false)
                clock.advance(minutes: 61)
                let answered = try JSON.object(
                    try await Self.move(client, lateID, token: token, ["state": "responded", "note": "Sorry!"]).body)
                #expect(Self.date(answered["first_responded_at"]) == Self.start.addingTimeInterval(61 * 60))
                #expect(answered["first_response_breached"] as? Bool == true)
                #expect(answered["resolution_breached"] as? Bool == false)

                // Another, answered in 10 minutes, then waiting on the customer for 30 hours.
                let paused = try await Self.complaint(client, token: token, customer: customer)
                let pausedID = paused["id"] as! String
                let opened = clock.now
                clock.advance(minutes: 10)
                _ = try await Self.move(client, pausedID, token: token, ["state": "responded"])
                clock.advance(minutes: 50)
                _ = try await Self.move(client, pausedID, token: token, ["state": "waiting_on_customer"])
                clock.advance(minutes: 30 * 60)
                let waiting = try JSON.object(
                    try await client.send(.get, "/v1/complaints/\(pausedID)", token: token).body)
                #expect(waiting["resolution_paused"] as? Bool == true)
                #expect(waiting["resolution_breached"] as? Bool == false)
                #expect(Self.date(waiting["resolution_due_at"]) == opened.addingTimeInterval(86_400 + 30 * 3_600))
                _ = try await Self.move(client, pausedID, token: token, ["state": "responded"])
                clock.advance(minutes: 9 * 60)
                let resolved = try JSON.object(
                    try await Self.move(client, pausedID, token: token, ["state": "resolved"]).body)
                // Ran 1 h + 9 h of the 24: no breach; due 24 h after opening plus the 30 h it waited.
                #expect(resolved["resolution_breached"] as? Bool == false)
                #expect(resolved["first_response_breached"] as? Bool == false)
                #expect(Self.date(resolved["resolution_due_at"]) == opened.addingTimeInterval(86_400 + 30 * 3_600))
                #expect(Self.date(resolved["resolved_at"]) == clock.now)
                let history = (resolved["history"] as? [[String: Any]]) ?? []
                #expect(history.isEmpty)  // Only one complaint read shows its history.
                let read = try JSON.object(
                    try await client.send(.get, "/v1/complaints/\(pausedID)", token: token).body)
                #expect(
                    (read["history"] as? [[String: Any]])?.compactMap { $0["state"] as? String } == [
                        "open", "responded", "waiting_on_customer", "responded", "resolved",
                    ])

                // One nobody answers: breached once its hour has passed, by time alone.
                let ignored = try await Self.complaint(client, token: token, customer: customer)
                let ignoredID = ignored["id"] as! String
                clock.advance(minutes: 59)
                #expect(
                    try JSON.object(try await client.send(.get, "/v1/complaints/\(ignoredID)", token: token).body)[
                        "first_response_breached"] as? Bool == false)
                clock.advance(minutes: 2)
                #expect(
                    try JSON.object(try await client.send(.get, "/v1/complaints/\(ignoredID)", token: token).body)[
                        "first_response_breached"] as? Bool == true)
                let breached = try JSON.object(
                    try await client.send(.get, "/v1/complaints?breached=true", token: token).body)
                #expect(
                    Set((breached["items"] as? [[String: Any]])?.compactMap { $0["id"] as? String } ?? []) == [
                        lateID, ignoredID,
                    ])
                let onTime = try JSON.object(
                    try await client.send(.get, "/v1/complaints?breached=false", token: token).body)
                #expect((onTime["items"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [pausedID])
            }
        }
    }

    /// A breach is raised when it happens, not when somebody looks: the check queued for the first
    /// response's due time records it in the history once and sends `complaint.sla_breached`.
    @Test func test_aBreachIsRaisedByTheCheckAtItsDueTime_once() async throws {
        let clock = ManualClock(Self.start)
        try await TestDatabase.with { db in
            let parts = db.parts {
                $0.clock = clock.wallClock
                $0.jobWorkers = 0
            }
            let app = Application(router: try buildRouter(parts))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "carejob")
                let customer = try await Self.customer(client, token: tenant.token, email: "j@example.com")
                let made = try await Self.complaint(client, token: tenant.token, customer: customer)
                let id = made["id"] as! String
                let worker = try makeJobWorker(parts, schedules: false)
                func dueNow() async throws {
                    try await db.client.execute(
                        "UPDATE itinera.jobs SET run_after = now() WHERE kind = 'care.sla_check' AND state = 'queued'",
                        logger: db.logger)
                }
                func breaches() async throws -> [String] {
                    let read = try JSON.object(
                        try await client.send(.get, "/v1/complaints/\(id)", token: tenant.token).body)
                    return ((read["history"] as? [[String: Any]]) ?? []).filter { $0["type"] as? String == "breached" }
                        .compactMap { $0["note"] as? String }
                }
                // Checked before its hour has passed: nothing is late.
                clock.advance(minutes: 30)
                try await dueNow()
                _ = try await worker.drain()
                #expect(try await breaches().isEmpty)
                // That check queued the next, for the resolution; run when the hour has passed, it
                // finds the first response late.
                clock.advance(minutes: 31)
                try await dueNow()
                _ = try await worker.drain()
                #expect(try await breaches() == ["first_response"])
                // Checked again: recorded once.
                try await dueNow()
                _ = try await worker.drain()
                #expect(try await breaches() == ["first_response"])
                let sent = try await db.inTenant(tenant.slug) { connection in
                    try await connection.query(
                        "SELECT data::text FROM outbox_events WHERE type = 'complaint.sla_breached' ORDER BY position"
                    ).collect().map { try $0[0].decode(String.self) }
                }
                #expect(sent.count == 1)
                #expect(
                    try JSON.object(ByteBuffer(string: sent.first ?? "{}"))["breach"] as? String == "first_response")
            }
        }
    }

    /// The report counts, per period, agent and category, the clocks kept, missed, and not due yet.
    @Test func test_theReport_countsTheClocksKeptAndMissed_perPeriodAgentAndCategory() async throws {
        let clock = ManualClock(Self.start)
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts { $0.clock = clock.wallClock }))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "carerep")
                let token = tenant.token
                let customer = try await Self.customer(client, token: token, email: "r@example.com")
                let kept = try await Self.complaint(client, token: token, customer: customer)["id"] as! String
                let late = try await Self.complaint(client, token: token, customer: customer)["id"] as! String
                // A third, about the hotel, that nobody answers.
                let hotel = try await client.send(
                    .post, "/v1/complaints",
                    json: ["customer_id": customer, "channel": "web", "category": "hotel", "summary": "Noise"],
                    token: token)
                #expect(hotel.status == .created)
                clock.advance(minutes: 10)
                _ = try await Self.move(client, kept, token: token, ["state": "responded"])
                clock.advance(minutes: 51)
                _ = try await Self.move(client, late, token: token, ["state": "responded"])
                clock.advance(minutes: 59)
                _ = try await Self.move(client, kept, token: token, ["state": "resolved"])
                let report = try JSON.object(
                    try await client.send(
                        .get, "/v1/insight/complaints?period=day&from=2029-12-31T00:00:00Z&to=2030-01-02T00:00:00Z",
                        token: token
                    ).body)
                let categories = Dictionary(
                    uniqueKeysWithValues: ((report["by_category"] as? [[String: Any]]) ?? []).map {
                        ($0["key"] as? String ?? "", $0)
                    })
                let guide = categories["guide"] ?? [:]
                #expect(guide["complaints"] as? Int == 2)
                #expect(guide["first_response_met"] as? Int == 1 && guide["first_response_missed"] as? Int == 1)
                #expect(guide["first_response_rate"] as? Double == 0.5)
                #expect(guide["resolution_met"] as? Int == 1 && guide["resolution_missed"] as? Int == 0)
                #expect(guide["resolution_rate"] as? Double == 1)
                let rooms = categories["hotel"] ?? [:]
                #expect(rooms["complaints"] as? Int == 1 && rooms["first_response_missed"] as? Int == 1)
                #expect(rooms["resolution_rate"] == nil)
                let periods = (report["by_period"] as? [[String: Any]]) ?? []
                #expect(periods.count == 1 && periods.first?["complaints"] as? Int == 3)
                #expect(periods.first?["key"] as? String == "2030-01-01")
                let agents = (report["by_agent"] as? [[String: Any]]) ?? []
                #expect(agents.count == 1 && agents.first?["key"] == nil && agents.first?["complaints"] as? Int == 3)
                let wrong = try await client.send(
                    .get, "/v1/insight/complaints?from=2030-01-02T00:00:00Z&to=2030-01-01T00:00:00Z", token: token)
                #expect(wrong.status == .unprocessableContent)
            }
        }
    }

    /// A merge moves the merged customer's complaints to the survivor (the merge is not refused by
    /// them); an erasure removes what the customer said and keeps the complaint's times.
    @Test func test_aMergeMovesComplaints_andAnErasureRemovesWhatWasSaid() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "caremerge")
                let token = tenant.token
                let survivor = try await Self.customer(client, token: token, email: "keep@example.com")
                let merged = try await Self.customer(client, token: token, email: "gone@example.com")
                let id = try await Self.complaint(client, token: token, customer: merged)["id"] as! String
                _ = try await Self.move(client, id, token: token, ["state": "responded", "note": "Called back."])
                let merge = try await client.send(
                    .post, "/v1/customers/\(survivor)/merge", json: ["other_id": merged], token: token)
                #expect(merge.status == .ok, "\(String(buffer: merge.body))")
                let moved = try JSON.object(try await client.send(.get, "/v1/complaints/\(id)", token: token).body)
                #expect(moved["customer_id"] as? String == survivor)

                #expect(
                    try await client.send(.delete, "/v1/customers/\(survivor)", token: token).status == .noContent)
                let erased = try JSON.object(try await client.send(.get, "/v1/complaints/\(id)", token: token).body)
                #expect(erased["summary"] as? String == "(erased)")
                #expect(((erased["history"] as? [[String: Any]]) ?? []).allSatisfy { $0["note"] == nil })
                #expect(erased["first_responded_at"] != nil && erased["state"] as? String == "responded")
            }
        }
    }

    /// Bad input names its field and opens nothing; a move the states do not allow is a 409.
    @Test func test_badComplaints_nameTheField_andStatesMoveOnlyForward() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "carebad")
                let token = tenant.token
                let customer = try await Self.customer(client, token: token, email: "c@example.com")
                let other = try await Self.customer(client, token: token, email: "o@example.com")
                let order = try await client.send(
                    .post, "/v1/orders",
                    json: [
                        "customer": ["id": other], "amount_minor": 100, "currency": "CNY",
                        "product": ["name": "Ticket"], "ordered_at": "2026-11-01T08:00:00Z", "external_id": "O-1",
                    ], token: token, headers: [HTTPField.Name("Idempotency-Key")!: "o-1"])
                let orderID = try JSON.object(order.body)["id"] as! String
                let base: [String: Any] = [
                    "customer_id": customer, "channel": "web", "category": "hotel", "summary": "Noisy room",
                ]
                let cases: [([String: Any], HTTPResponse.Status, String)] = [
                    (["customer_id": "999999"], .notFound, "customer_id"),
                    (["order_id": orderID], .unprocessableContent, "order_id"),
                    (["category": "Hotel Rooms"], .unprocessableContent, "category"),
                    (["summary": "   "], .unprocessableContent, "summary"),
                    (["assignee_id": UUID().uuidString], .notFound, "assignee_id"),
                ]
                for (change, status, field) in cases {
                    var body = base
                    body.merge(change) { _, given in given }
                    let response = try await client.send(.post, "/v1/complaints", json: body, token: token)
                    #expect(response.status == status, "\(change): \(String(buffer: response.body))")
                    #expect(try JSON.object(response.body)["field"] as? String == field, "\(change)")
                }
                #expect(try await db.tenantCount("complaints", tenant: tenant.slug) == 0)

                let made = try await Self.complaint(client, token: token, customer: customer)
                let id = made["id"] as! String
                #expect(made["severity"] as? String == "high")
                #expect(try await Self.move(client, id, token: token, ["state": "closed"]).status == .ok)
                let refused = try await Self.move(client, id, token: token, ["state": "responded"])
                #expect(refused.status == .conflict)
                #expect(try JSON.object(refused.body)["field"] as? String == "state")
                #expect(try await Self.move(client, id, token: token, [:]).status == .unprocessableContent)
            }
        }
    }
}
