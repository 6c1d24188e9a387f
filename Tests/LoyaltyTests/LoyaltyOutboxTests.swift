import Foundation
import Hummingbird
import HummingbirdTesting
import ItineraTestSupport
import Testing

@testable import Itinera

@Suite struct LoyaltyOutboxTests {
    /// A first order enrols the customer and earns points, a second earns more and makes them Gold:
    /// each order's event, then its effects, reach the endpoint in the order they happened (they
    /// share the customer's ordering key); a redemption follows as `points.redeemed`.
    @Test func test_anOrdersLoyaltyEffects_reachTheEndpoint_afterTheOrder_inTheOrderTheyHappened() async throws {
        let receiver = WebhookReceiver()
        try await receiver.start()
        defer { receiver.stop() }
        try await TestDatabase.with { db in
            let parts = db.parts { $0.webhooks.allowPrivate = true }
            try await Application(router: try buildRouter(parts)).test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "loyhook")
                let endpoint = try await client.send(
                    .post, "/v1/webhook-endpoints", json: ["url": receiver.url], token: tenant.token)
                #expect(endpoint.status == .created)
                _ = try await LoyaltyJobTests.programme(client, tenant: tenant, phones: ["13800000009"], orders: 2)
                let member = try await db.inTenant(tenant.slug) { connection in
                    try await MemberStore.memberships(of: 1, on: connection).first
                }
                let redeemed = try await client.send(
                    .post, "/v1/members/\(member?.id ?? 0)/redemptions", json: ["points": 10], token: tenant.token,
                    headers: MemberTests.idempotency("r-1"))
                #expect(redeemed.status == .created)
                _ = try await makeJobWorker(parts).drain()
                let events = receiver.received.map(\.json)
                #expect(
                    events.map { $0["type"] as? String ?? "" } == [
                        "customer.created", "order.created", "member.enrolled", "points.earned", "order.created",
                        "points.earned", "member.tier_changed", "points.redeemed",
                    ])
                let tier = events[6]["data"] as? [String: Any]
                #expect(tier?["to_tier"] as? String == "gold")
                #expect(tier?["order_id"] as? String == (events[4]["data"] as? [String: Any])?["id"] as? String)
                let earned = events[5]["data"] as? [String: Any]
                #expect(earned?["customer_id"] as? String == "1")
                #expect((earned?["points"] as? Int ?? 0) > 0)
                let spent = events.last?["data"] as? [String: Any]
                #expect(spent?["points"] as? Int == -10)
                #expect(spent?["balance_after"] as? Int == (earned?["balance_after"] as? Int ?? 0) - 10)
            }
        }
    }
}
