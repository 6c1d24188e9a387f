import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ItineraTestSupport
import PostgresNIO
import Synchronization
import Testing

@testable import Itinera

@Suite struct ProgramTests {
    static var program: [String: Any] {
        [
            "name": "蓝天会员", "points_per_currency_unit": 1, "tier_window": ["kind": "calendar_year"],
        ]
    }

    /// `program` with a rolling window of `days`.
    static func program(rollingDays days: Int) -> [String: Any] {
        program.merging(["tier_window": ["kind": "rolling_days", "days": days]]) { $1 }
    }

    static func tier(_ code: String, rank: Int, _ extra: [String: Any] = [:]) -> [String: Any] {
        ["code": code, "name": code.capitalized, "rank": rank].merging(extra) { $1 }
    }

    @Test func test_aNewProgramme_startsWithTheDocumentsTiers_andIsAudited() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "prog")
                let created = try await client.send(.post, "/v1/programs", json: Self.program, token: tenant.token)
                #expect(created.status == .created)
                let program = try JSON.object(created.body)
                #expect(program["currency"] as? String == "CNY")
                #expect(program["points_rounding"] as? String == "down")
                #expect(program["points_expiry"] as? String == "never")
                #expect((program["downgrade"] as? [String: Any])?["policy"] as? String == "immediate")
                #expect(program["enrolment"] as? String == "first_order")
                #expect(program["card_prefix"] as? String == "88")
                let id = program["id"] as? String ?? ""
                let tiers =
                    try JSON.object(
                        try await client.send(.get, "/v1/programs/\(id)/tiers", token: tenant.token).body)["tiers"]
                    as? [[String: Any]] ?? []
                #expect(tiers.map { $0["code"] as? String } == ["diamond", "gold", "potential"])
                #expect(tiers[0]["min_orders"] as? Int == 3)
                #expect(tiers[0]["min_average_order_minor"] as? Int == 500_000)
                #expect(tiers[1]["min_average_order_minor"] as? Int == 300_000)
                #expect(tiers[1]["max_average_order_minor"] as? Int == 500_000)
                #expect(tiers[2]["max_average_order_minor"] as? Int == 300_000)
                #expect(tiers.allSatisfy { $0["members"] as? Int == 0 })
                let again = try await client.send(.post, "/v1/programs", json: Self.program, token: tenant.token)
                #expect(again.status == .conflict)
                #expect(try JSON.object(again.body)["field"] as? String == "name")
                // A second programme's cards begin with the next free prefix; a taken prefix is refused.
                let second = try await client.send(
                    .post, "/v1/programs", json: Self.program.merging(["name": "Second"]) { $1 }, token: tenant.token)
                #expect(try JSON.object(second.body)["card_prefix"] as? String == "89")
                let taken = try await client.send(
                    .post, "/v1/programs", json: Self.program.merging(["name": "Third", "card_prefix": "89"]) { $1 },
                    token: tenant.token)
                #expect(taken.status == .conflict)
                #expect(try JSON.object(taken.body)["field"] as? String == "card_prefix")
                let audit =
                    try JSON.object(
                        try await client.send(.get, "/v1/audit-events", token: tenant.token).body)["items"]
                    as? [[String: Any]] ?? []
                #expect(audit.contains { $0["action"] as? String == "program.create" })
            }
        }
    }

    @Test func test_badProgrammesAndTierLists_are422NamingTheField_andWriteNothing() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "progbad")
                let programs: [([String: Any], String)] = [
                    (["tier_window": ["kind": "weekly"]], "tier_window.kind"),
                    (["tier_window": ["kind": "rolling_days"]], "tier_window.days"),
                    (["tier_window": ["kind": "calendar_year", "days": 30]], "tier_window.days"),
                    (["currency": "USD"], "currency"),
                    (["points_per_currency_unit": 0.00001], "points_per_currency_unit"),
                    (["points_per_currency_unit": -1], "points_per_currency_unit"),
                    (["points_expiry": "after_days"], "points_expiry_days"),
                    (["points_expiry": "monthly"], "points_expiry"),
                    (["downgrade": ["policy": "grace_days"]], "downgrade.days"),
                    (["downgrade": ["policy": "grace_days", "days": 0]], "downgrade.days"),
                    (["enrolment": "always"], "enrolment"),
                    (["card_prefix": "8A"], "card_prefix"),
                    (["name": " "], "name"),
                ]
                for (change, field) in programs {
                    let response = try await client.send(
                        .post, "/v1/programs", json: Self.program.merging(change) { $1 }, token: tenant.token)
                    #expect(response.status == .unprocessableContent, "\(change)")
                    #expect(try JSON.object(response.body)["field"] as? String == field, "\(change)")
                }
                #expect(try await db.tenantCount("programs", tenant: tenant.slug) == 0)

                let id =
                    try JSON.object(
                        try await client.send(.post, "/v1/programs", json: Self.program, token: tenant.token).body)[
                        "id"]
                    as? String ?? ""
                let lists: [([[String: Any]], String)] = [
                    ([], "tiers"),
                    ([Self.tier("gold", rank: 2, ["min_orders": 2]), Self.tier("silver", rank: 2)], "tiers[1].rank"),
                    ([Self.tier("gold", rank: 2, ["min_orders": 2]), Self.tier("gold", rank: 1)], "tiers[1].code"),
                    ([Self.tier("Gold", rank: 1)], "tiers[0].code"),
                    ([Self.tier("gold", rank: 0)], "tiers[0].rank"),
                    (
                        [Self.tier("band", rank: 1, ["min_average_order_minor": 500, "max_average_order_minor": 499])],
                        "tiers[0].max_average_order_minor"
                    ),
                    ([Self.tier("top", rank: 2), Self.tier("base", rank: 1)], "tiers[0]"),
                    ([Self.tier("base", rank: 1, ["combine": "most"])], "tiers[0].combine"),
                    ([Self.tier("base", rank: 1, ["min_orders": -1])], "tiers[0].min_orders"),
                    ([Self.tier("base", rank: 1, ["points_multiplier": 1.2345])], "tiers[0].points_multiplier"),
                ]
                for (tiers, field) in lists {
                    for path in ["/v1/programs/\(id)/tiers", "/v1/programs/\(id)/tiers/preview"] {
                        let response = try await client.send(
                            path.hasSuffix("preview") ? .post : .put, path, json: ["tiers": tiers], token: tenant.token)
                        #expect(response.status == .unprocessableContent, "\(path) \(tiers)")
                        #expect(try JSON.object(response.body)["field"] as? String == field, "\(path) \(tiers)")
                    }
                }
                let tiers =
                    try JSON.object(
                        try await client.send(.get, "/v1/programs/\(id)/tiers", token: tenant.token).body)["tiers"]
                    as? [[String: Any]] ?? []
                #expect(tiers.map { $0["code"] as? String } == ["diamond", "gold", "potential"])
                #expect(
                    try await client.send(.get, "/v1/programs/999999/tiers", token: tenant.token).status == .notFound)
                #expect(try await client.send(.get, "/v1/programs/x", token: tenant.token).status == .notFound)
            }
        }
    }

    @Test func test_aPreviewCountsWhatReplacingTheTiersThenDoes_andTheChangeIsKept() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "progmove")
                let rolling = Self.program(rollingDays: 365)
                let id =
                    try JSON.object(
                        try await client.send(.post, "/v1/programs", json: rolling, token: tenant.token).body)["id"]
                    as? String ?? ""
                // Two customers each with 1, 2, 3 and 4 orders of 4,000 in the last hours, enrolled by their first
                // order and evaluated at each under the template: 1 order holds no tier (Potential is at most 3,000), 2 to 4 hold Gold.
                let now = Date()
                for customer in 1...8 {
                    for order in 0..<(customer % 4 + 1) {
                        let response = try await client.send(
                            .post, "/v1/orders",
                            json: orderBody(
                                phone: "1380000\(String(format: "%04d", customer))", amount: 400_000,
                                orderedAt: now.addingTimeInterval(-Double(order + 1) * 3_600)),
                            token: tenant.token, headers: [HTTPField.Name("Idempotency-Key")!: "o\(customer)-\(order)"])
                        #expect(response.status == .created)
                    }
                }
                let tiers = [
                    Self.tier(
                        "diamond", rank: 3,
                        ["min_orders": 3, "min_average_order_minor": 400_000, "benefits": ["Butler"]]),
                    Self.tier("gold", rank: 2, ["min_orders": 2]),
                    Self.tier("potential", rank: 1, ["min_orders": 1]),
                ]
                let preview = try await client.send(
                    .post, "/v1/programs/\(id)/tiers/preview", json: ["tiers": tiers], token: tenant.token)
                #expect(preview.status == .ok)
                let previewed = try JSON.object(preview.body)
                let moves = previewed["moves"] as? [[String: Any]] ?? []
                #expect(previewed["members"] as? Int == 8)
                // Nothing changed yet.
                #expect(try await db.tenantCount("tier_history", tenant: tenant.slug) == 6)
                let replaced = try await client.send(
                    .put, "/v1/programs/\(id)/tiers", json: ["tiers": tiers], token: tenant.token)
                #expect(replaced.status == .accepted)
                let change = try JSON.object(replaced.body)
                #expect(change["tiers_revision"] as? Int == 2)
                let queued = change["reevaluation"] as? [String: Any] ?? [:]
                let job = queued["id"] as? String ?? ""
                #expect(queued["state"] as? String == "queued")
                #expect(queued["kind"] as? String == "loyalty.tiers.reevaluate")
                #expect(try await db.tenantCount("tier_history", tenant: tenant.slug) == 6, "no one moved yet")
                // A worker runs it, in slices of 3 members: progress reaches 8 of 8.
                let recorder = TierChangeRecorder()
                let worker = JobWorker(
                    client: db.client, handlers: [TierReevaluationJob(events: recorder.events, sliceSize: 3)],
                    logger: db.logger)
                #expect(try await worker.drain() == 1)
                // Each slice published its members' changes, as the history has them.
                let published = recorder.published.withLock { $0 }
                #expect(published.allSatisfy { $0.source == "rule_change" && $0.program == Int64(id) })
                let changes = published.flatMap(\.changes)
                #expect(changes.count == 6)
                #expect(
                    TierReevaluation.moves(of: changes).map { "\($0.from ?? "-")>\($0.to ?? "-"):\($0.count)" }
                        == ["->potential:2", "gold>diamond:4"])
                let history = try await db.inTenant(tenant.slug) { connection in
                    var members: [Int64] = []
                    for try await member in try await connection.query(
                        "SELECT member_id FROM tier_history WHERE source = 'rule_change' ORDER BY member_id"
                    ).decode(Int64.self) { members.append(member) }
                    return members
                }
                #expect(changes.map(\.member).sorted() == history)
                let reevaluation = try JSON.object(
                    try await client.send(.get, "/v1/jobs/\(job)", token: tenant.token).body)
                #expect(reevaluation["state"] as? String == "succeeded")
                #expect(reevaluation["attempts"] as? Int == 1)
                let progress = reevaluation["progress"] as? [String: Any] ?? [:]
                #expect(progress["done"] as? Int == 8 && progress["total"] as? Int == 8)
                let result = reevaluation["result"] as? [String: Any] ?? [:]
                #expect(result["members"] as? Int == 8)
                #expect(result["tiers_revision"] as? Int == 2)
                func summary(_ moves: [[String: Any]]) -> [String] {
                    moves.map {
                        "\($0["from"] as? String ?? "-")>\($0["to"] as? String ?? "-"):\($0["count"] as? Int ?? -1)"
                    }
                }
                #expect(summary(result["moves"] as? [[String: Any]] ?? []) == summary(moves))
                // 1 order: none → potential; 3 and 4 orders: gold → diamond; 2 orders stay gold.
                #expect(summary(moves) == ["->potential:2", "gold>diamond:4"])
                let held =
                    (try JSON.object(
                        try await client.send(.get, "/v1/programs/\(id)/tiers", token: tenant.token).body)["tiers"]
                    as? [[String: Any]] ?? []).map { "\($0["code"]!):\($0["members"]!)" }
                #expect(held == ["diamond:4", "gold:2", "potential:2"])
                let listed =
                    try JSON.object(try await client.send(.get, "/v1/jobs", token: tenant.token).body)["items"]
                    as? [[String: Any]] ?? []
                #expect(listed.map { $0["id"] as? String } == [job])
                #expect(
                    try await db.tenantCount("tier_history", tenant: tenant.slug) == 6 + 6,
                    "every move is kept with source rule_change")
                let sources = try await db.inTenant(tenant.slug) { connection in
                    var sources: [String] = []
                    for try await source in try await connection.query(
                        "SELECT DISTINCT source FROM tier_history ORDER BY 1"
                    ).decode(String.self) { sources.append(source) }
                    return sources
                }
                #expect(sources == ["order", "rule_change"])
                let audit =
                    try JSON.object(
                        try await client.send(.get, "/v1/audit-events", token: tenant.token).body)["items"]
                    as? [[String: Any]] ?? []
                let event = audit.first { $0["action"] as? String == "program.tiers.replace" }
                #expect(((event?["before"] as? [String: Any])?["tiers"] as? [Any])?.count == 3)
                #expect(
                    (((event?["after"] as? [String: Any])?["tiers"] as? [[String: Any]])?.first?["benefits"]
                        as? [String])
                        == ["Butler"])
            }
        }
    }
}

/// An order body for a phone at a time.
func orderBody(phone: String, amount: Int, orderedAt: Date) -> [String: Any] {
    [
        "customer": ["phone": phone], "amount_minor": amount, "currency": "CNY",
        "product": ["name": "Huangshan three days", "category": "tour"],
        "ordered_at": ISO8601DateFormatter().string(from: orderedAt),
    ]
}

/// Records the `TierChanged` events published through `events`.
final class TierChangeRecorder: Sendable {
    let published = Mutex<[TierChanged]>([])

    var events: DomainEvents {
        var events = DomainEvents()
        events.on(TierChanged.self) { [self] event, _ in published.withLock { $0.append(event) } }
        return events
    }
}
