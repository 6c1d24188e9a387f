import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ItineraTestSupport
import Testing

@testable import Itinera

/// Campaigns over time, with the real job worker: a start in the future waits (`scheduled`) and
/// starts when due; a campaign run once completes when its window ends; a recurring one runs again
/// for customers who newly lapsed and never enters anyone twice; a saved segment narrows the audience.
@Suite struct CampaignScheduleTests {
    static let template = [
        "channel": "email", "purpose": "marketing", "subject": "Hi", "body": "Come back to {{trip.destination}}",
    ]

    /// Brings the campaign's next run to now, as the clock would (the run job waits for it).
    static func makeDue(_ campaign: String, db: TestDatabase, tenant: String) async throws {
        try await db.inTenant(tenant) { connection in
            try await connection.execute(
                "UPDATE campaigns SET next_run_at = now() - interval '1 second' WHERE id = \(Int64(campaign)!)")
        }
        try await db.client.execute(
            "UPDATE itinera.jobs SET run_after = now() WHERE kind = 'campaign.run' AND state = 'queued'",
            logger: db.logger)
    }

    static func campaign(_ client: some TestClientProtocol, token: String, body extra: [String: Any]) async throws
        -> [String: Any]
    {
        var body: [String: Any] = [
            "name": "Back", "audience": ["lapsed_days_min": 90], "channel": "email", "template": "back",
            "holdout_percent": 0, "attribution_days": 30,
        ]
        body.merge(extra) { _, given in given }
        let response = try await client.send(.post, "/v1/campaigns", json: body, token: token)
        #expect(response.status == .created, "\(String(buffer: response.body))")
        return try JSON.object(response.body)
    }

    static func state(_ client: some TestClientProtocol, _ id: String, token: String) async throws -> [String: Any] {
        try JSON.object(try await client.send(.get, "/v1/campaigns/\(id)", token: token).body)
    }

    static func recipients(_ db: TestDatabase, tenant: String, campaign: String) async throws -> Int {
        try await db.inTenant(tenant) { connection in
            try await connection.query(
                "SELECT count(*)::int FROM campaign_recipients WHERE campaign_id = \(Int64(campaign)!)"
            ).first?.decode(Int.self) ?? -1
        }
    }

    @Test func test_aLaterStart_waitsScheduled_startsWhenDue_andCompletesWhenTheWindowEnds() async throws {
        try await TestDatabase.with { db in
            let parts = db.parts { $0.jobWorkers = 0 }
            let app = Application(router: try buildRouter(parts))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "wbsched")
                _ = try await client.send(.put, "/v1/message-templates/back", json: Self.template, token: tenant.token)
                _ = try await CampaignTests.lapsed(5, consenting: 5, db: db, tenant: tenant.slug)
                let start = Date().addingTimeInterval(3_600)
                let made = try await Self.campaign(
                    client, token: tenant.token,
                    body: ["schedule": ["kind": "once", "start_at": ISO8601DateFormatter().string(from: start)]])
                let id = try #require(made["id"] as? String)
                let launched = try JSON.object(
                    try await client.send(.post, "/v1/campaigns/\(id)/launch", token: tenant.token).body)
                #expect(launched["state"] as? String == "scheduled")
                #expect(launched["next_run_at"] != nil && launched["launched_at"] == nil)
                #expect(try await Self.recipients(db, tenant: tenant.slug, campaign: id) == 0)
                // Launching again while it waits changes nothing.
                let again = try JSON.object(
                    try await client.send(.post, "/v1/campaigns/\(id)/launch", token: tenant.token).body)
                #expect(again["state"] as? String == "scheduled")

                let worker = try makeJobWorker(parts, schedules: false)
                _ = try await worker.drain()
                #expect(try await Self.state(client, id, token: tenant.token)["state"] as? String == "scheduled")

                try await Self.makeDue(id, db: db, tenant: tenant.slug)
                _ = try await worker.drain()
                let running = try await Self.state(client, id, token: tenant.token)
                #expect(running["state"] as? String == "running" && running["launched_at"] != nil)
                #expect(try await Self.recipients(db, tenant: tenant.slug, campaign: id) == 5)

                try await Self.makeDue(id, db: db, tenant: tenant.slug)
                _ = try await worker.drain()
                let completed = try await Self.state(client, id, token: tenant.token)
                #expect(completed["state"] as? String == "completed" && completed["next_run_at"] == nil)
                let types = try await db.inTenant(tenant.slug) { connection in
                    try await connection.query(
                        "SELECT type FROM outbox_events WHERE type LIKE 'campaign.%' ORDER BY position"
                    ).collect().map { try $0[0].decode(String.self) }
                }
                #expect(types == ["campaign.scheduled", "campaign.launched", "campaign.completed"])
            }
        }
    }

    @Test func test_aRecurringCampaign_entersTheNewlyLapsed_andNobodyTwice() async throws {
        try await TestDatabase.with { db in
            let parts = db.parts { $0.jobWorkers = 0 }
            let app = Application(router: try buildRouter(parts))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "wbrecur")
                _ = try await client.send(.put, "/v1/message-templates/back", json: Self.template, token: tenant.token)
                _ = try await CampaignTests.lapsed(4, consenting: 4, db: db, tenant: tenant.slug)
                let refused = try await client.send(
                    .post, "/v1/campaigns",
                    json: [
                        "name": "Back", "audience": ["lapsed_days_min": 90], "channel": "email", "template": "back",
                        "holdout_percent": 0, "attribution_days": 30, "schedule": ["kind": "recurring"],
                    ], token: tenant.token)
                #expect(refused.status == .unprocessableContent)
                #expect(try JSON.object(refused.body)["field"] as? String == "schedule.every_days")
                let made = try await Self.campaign(
                    client, token: tenant.token, body: ["schedule": ["kind": "recurring", "every_days": 7]])
                let id = try #require(made["id"] as? String)
                #expect(try await client.send(.post, "/v1/campaigns/\(id)/launch", token: tenant.token).status == .ok)
                #expect(try await Self.recipients(db, tenant: tenant.slug, campaign: id) == 4)
                let next = try #require(try await Self.state(client, id, token: tenant.token)["next_run_at"] as? String)
                let due = try #require(ISO8601DateFormatter().date(from: String(next.prefix(19)) + "Z"))
                #expect(abs(due.timeIntervalSinceNow - 7 * 86_400) < 120)

                // Three more lapse; at the next run they enter, and the first four do not again.
                _ = try await CampaignTests.lapsed(3, consenting: 3, db: db, tenant: tenant.slug)
                let preview = try JSON.object(
                    try await client.send(.post, "/v1/campaigns/\(id)/preview", token: tenant.token).body)
                #expect(preview["audience"] as? Int == 3)
                try await Self.makeDue(id, db: db, tenant: tenant.slug)
                let worker = try makeJobWorker(parts, schedules: false)
                _ = try await worker.drain()
                #expect(try await Self.recipients(db, tenant: tenant.slug, campaign: id) == 7)
                let rerun = try await Self.state(client, id, token: tenant.token)
                #expect(rerun["state"] as? String == "running")
                #expect((rerun["next_run_at"] as? String).map { $0 != next } == true)
                // A paused recurring campaign enters nobody at its run, and keeps its schedule.
                _ = try await CampaignTests.lapsed(2, consenting: 2, db: db, tenant: tenant.slug)
                #expect(try await client.send(.post, "/v1/campaigns/\(id)/pause", token: tenant.token).status == .ok)
                try await Self.makeDue(id, db: db, tenant: tenant.slug)
                _ = try await worker.drain()
                #expect(try await Self.recipients(db, tenant: tenant.slug, campaign: id) == 7)
                #expect(try await Self.state(client, id, token: tenant.token)["next_run_at"] != nil)
                let data = try await db.inTenant(tenant.slug) { connection in
                    try await connection.query(
                        "SELECT data::text FROM outbox_events WHERE type = 'campaign.rerun' ORDER BY position"
                    ).collect().map { try $0[0].decode(String.self) }
                }
                #expect(data.count == 1)
                #expect(try JSON.object(ByteBuffer(string: data.first ?? "{}"))["treated"] as? Int == 3)
            }
        }
    }

    @Test func test_aSavedSegment_narrowsTheAudience_andItsRemovalIsNamed() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "wbseg")
                _ = try await client.send(.put, "/v1/message-templates/back", json: Self.template, token: tenant.token)
                let customers = try await CampaignTests.lapsed(6, consenting: 6, db: db, tenant: tenant.slug)
                for customer in customers.prefix(2) {
                    _ = try await client.send(
                        .post, "/v1/customers/\(customer)/tags", json: ["tag": "vip"], token: tenant.token)
                }
                let segment = try JSON.object(
                    try await client.send(
                        .post, "/v1/segments", json: ["name": "VIPs", "rule": ["tag": "vip"]], token: tenant.token
                    ).body)
                let segmentID = try #require(segment["id"] as? String)
                let unknown = try await client.send(
                    .post, "/v1/campaigns",
                    json: [
                        "name": "Back", "audience": ["lapsed_days_min": 90, "segment_id": "999999"], "channel": "email",
                        "template": "back", "holdout_percent": 0, "attribution_days": 30,
                    ], token: tenant.token)
                #expect(unknown.status == .unprocessableContent)
                #expect(try JSON.object(unknown.body)["field"] as? String == "audience.segment_id")
                let made = try await Self.campaign(
                    client, token: tenant.token,
                    body: ["audience": ["lapsed_days_min": 90, "segment_id": segmentID]])
                let id = try #require(made["id"] as? String)
                #expect((made["audience"] as? [String: Any])?["segment_id"] as? String == segmentID)
                let preview = try JSON.object(
                    try await client.send(.post, "/v1/campaigns/\(id)/preview", token: tenant.token).body)
                #expect(preview["audience"] as? Int == 2)
                #expect(preview["sample"] as? [String] == customers.prefix(2).map(String.init))

                #expect(
                    try await client.send(.delete, "/v1/segments/\(segmentID)", token: tenant.token).status
                        == .noContent)
                let gone = try await client.send(.post, "/v1/campaigns/\(id)/launch", token: tenant.token)
                #expect(gone.status == .unprocessableContent)
                #expect(try JSON.object(gone.body)["field"] as? String == "audience.segment_id")
                #expect(try await Self.recipients(db, tenant: tenant.slug, campaign: id) == 0)
            }
        }
    }
}
