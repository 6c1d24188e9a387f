import Foundation
import Hummingbird
import HummingbirdTesting
import ItineraTestSupport
import Testing

@testable import Itinera

/// A periodic job that does nothing.
struct TickJob: JobHandler {
    var kind: String { "test.tick" }
    func run(_ job: Job, in run: JobRun) async throws -> JobOutcome { .succeeded(result: "{}") }
}

@Suite struct SchedulerTests {
    /// Two servers' workers scheduling a one-second periodic job as fast as they can, at once, for
    /// at least three seconds and three slots (a loaded machine may take longer over a slot): each
    /// tenant gets exactly one job per slot.
    @Test func test_twoInstancesScheduling_fireEachSlotOnce() async throws {
        try await TestDatabase.with { db in
            let tenants = try await Application(router: try buildRouter(db.parts())).test(.router) { client in
                [try await client.signUp(slugPrefix: "slot-a"), try await client.signUp(slugPrefix: "slot-b")]
            }
            try await db.client.query(
                "UPDATE itinera.tenants SET created_at = now() - interval '1 hour'", logger: db.logger)
            let workers = (0..<2).map { _ in
                JobWorker(
                    client: db.client, handlers: [TickJob()], periodic: [("test.tick", .seconds(1))],
                    logger: db.logger)
            }
            let started = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in workers {
                    for _ in 0..<2 {
                        group.addTask {
                            while ContinuousClock.now - started < .seconds(20) {
                                try await worker.schedulePeriodic()
                                _ = try await worker.runNext()
                                if ContinuousClock.now - started >= .seconds(3),
                                    try await db.scalar(
                                        "SELECT count(DISTINCT dedupe_key)::int FROM itinera.jobs WHERE kind = 'test.tick'",
                                        as: Int.self) ?? 0 >= 3
                                {
                                    break
                                }
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let rows = try await db.client.query(
                """
                SELECT tenant_id, dedupe_key, count(*)::int FROM itinera.jobs WHERE kind = 'test.tick'
                GROUP BY tenant_id, dedupe_key
                """, logger: db.logger
            ).collect().map { try $0.decode((UUID, String, Int).self) }
            let slots = Set(rows.map(\.1))
            #expect(slots.count >= 3, "\(slots)")
            #expect(rows.allSatisfy { $0.2 == 1 })
            #expect(rows.count == slots.count * tenants.count)
        }
    }
}

extension SchedulerTests {
    /// The daily prune deletes outbox events and ended jobs older than the retention, and keeps the rest.
    @Test func test_prune_removesWhatIsOlderThanTheRetention() async throws {
        try await TestDatabase.with { db in
            let parts = db.parts {
                WebhookTests.configure(&$0)
                $0.outboxRetention = .seconds(3600)
            }
            try await Application(router: try buildRouter(parts)).test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "prune")
                _ = try await WebhookTests.createEndpoint(
                    client, token: tenant.token, url: "https://hooks.example.com/x", types: ["order.created"])
                for index in 0..<3 {
                    _ = try await client.send(
                        .post, "/v1/orders", json: WebhookTests.order(phone: "13800138000", external: "p-\(index)"),
                        token: tenant.token, headers: WebhookTests.key("p-\(index)"))
                }
                let tenantID = UUID(uuidString: tenant.id)!
                // Two of the three orders' events and their deliveries' jobs are two hours old.
                try await db.inTenant(tenant.slug) { connection in
                    try await connection.execute(
                        """
                        UPDATE outbox_events SET occurred_at = now() - interval '2 hours'
                        WHERE id IN (SELECT id FROM outbox_events WHERE type = 'order.created' ORDER BY position LIMIT 2)
                        """)
                }
                try await db.client.execute(
                    """
                    UPDATE itinera.jobs SET state = 'succeeded', finished_at = now() - interval '2 hours',
                        lease_owner = NULL, lease_until = NULL
                    WHERE tenant_id = \(tenantID) AND kind = 'webhook.deliver'
                    """, logger: db.logger)
                let job = try await db.client.withConnection { connection in
                    try await JobStore.enqueue(
                        JobRequest(kind: OutboxPruneJob.kind), tenant: tenantID, on: connection, logger: db.logger)
                }
                #expect(try await makeJobWorker(parts).drain() >= 1)
                let result = try await db.scalar(
                    "SELECT result::text FROM itinera.jobs WHERE id = \(job.id)", as: String.self)
                let counts = try JSONSerialization.jsonObject(with: Data((result ?? "{}").utf8)) as? [String: Int]
                #expect(counts == ["events": 2, "jobs": 3])
                let left = try await db.inTenant(tenant.slug) { connection in
                    try await connection.query(
                        "SELECT (SELECT count(*)::int FROM outbox_events), (SELECT count(*)::int FROM webhook_deliveries)"
                    ).first?.decode((Int, Int).self)
                }
                // The customer's creation and the newest order are kept, with the one delivery.
                #expect(left?.0 == 2 && left?.1 == 1)
            }
        }
    }
}
