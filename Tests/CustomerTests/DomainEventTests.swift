import Foundation
import Hummingbird
import HummingbirdTesting
import ItineraTestSupport
import PostgresNIO
import Synchronization
import Testing

@testable import Itinera

/// The seam between capabilities: domain events whose reactions run in the publisher's transaction,
/// and reads a reaction makes in the order's own insert.
@Suite struct DomainEventTests {
    /// The tenant a test signed up, read from the control schema.
    static func tenant(_ slug: String, _ db: TestDatabase) async throws -> Tenant {
        for try await row in try await db.client.query(
            "SELECT \(unescaped: TenantStore.tenantColumns) FROM itinera.tenants t WHERE t.slug = \(slug)",
            logger: db.logger)
        {
            return try TenantStore.tenant(from: row)
        }
        throw TestSupportError("no tenant \(slug)")
    }

    /// The turns reactions took, in order.
    final class Turns: Sendable {
        let list = Mutex<[String]>([])
    }

    /// Reactions that record their turn and add a tag each; the last one refuses when `refuse` is set.
    static func events(_ turns: Turns, refuse: Bool) -> DomainEvents {
        var events = DomainEvents()
        events.on(CustomersMerged.self) { event, context in
            turns.list.withLock { $0.append("first \(event.survivor)") }
            try await context.connection.execute("INSERT INTO tags (name) VALUES ('first')")
        }
        events.on(CustomersMerged.self) { event, context in
            turns.list.withLock { $0.append("second \(event.merged)") }
            try await context.connection.execute("INSERT INTO tags (name) VALUES ('second')")
            if refuse { throw Problem.conflict("The second reaction refuses.") }
        }
        return events
    }

    @Test func test_reactionsRunInOrderInThePublishersTransaction_andOneThatThrowsRefusesTheChange()
        async throws
    {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            let signedUp = try await app.test(.router) { client in try await client.signUp(slugPrefix: "seam") }
            let tenant = try await Self.tenant(signedUp.slug, db)
            let turns = Turns()
            let refusing = Self.events(turns, refuse: true)
            await #expect(throws: Problem.self) {
                try await db.inTenant(signedUp.slug) { connection in
                    try await connection.execute("INSERT INTO tags (name) VALUES ('change')")
                    try await refusing.publish(
                        CustomersMerged(survivor: 1, merged: 2),
                        in: EventContext(connection: connection, tenant: tenant, events: refusing))
                }
            }
            #expect(turns.list.withLock { $0 } == ["first 1", "second 2"])
            #expect(try await db.tenantCount("tags", tenant: signedUp.slug) == 0, "the change rolled back with them")

            let accepting = Self.events(turns, refuse: false)
            try await db.inTenant(signedUp.slug) { connection in
                try await connection.execute("INSERT INTO tags (name) VALUES ('change')")
                try await accepting.publish(
                    CustomersMerged(survivor: 3, merged: 4),
                    in: EventContext(connection: connection, tenant: tenant, events: accepting))
                try await accepting.publish(
                    OrderCancelled(
                        order: Order(id: 1, customerID: 1, details: .sample, cancelledAt: nil, createdAt: Date())),
                    in: EventContext(connection: connection, tenant: tenant, events: accepting))
            }
            #expect(turns.list.withLock { $0 } == ["first 1", "second 2", "first 3", "second 4"])
            #expect(try await db.tenantCount("tags", tenant: signedUp.slug) == 3)
        }
    }

    /// Reads the customer's orders as the insert's snapshot sees them, which is without the order the
    /// statement inserts.
    enum OrdersSeenRead: OrderInsertRead {
        static func sql(_ n: OrderInsertNames) -> String {
            "SELECT count(*)::text || '/' || \(n.order).amount_minor::text FROM orders o WHERE o.customer_id = \(n.customer)"
        }
    }

    @Test func test_readsAddedAtWiring_areMadeInTheOrdersInsert_eachReachingItsReaction() async throws {
        try await TestDatabase.with { db in
            let app = Application(router: try buildRouter(db.parts()))
            let signedUp = try await app.test(.router) { client in
                let tenant = try await client.signUp(slugPrefix: "reads")
                // A first order makes the customer.
                _ = try await client.send(
                    .post, "/v1/orders", json: OrderTests.order(externalID: "r-1"), token: tenant.token,
                    headers: OrderTests.key("r-1"))
                return tenant
            }
            var reads = OrderInsertReads()
            reads.add(LoyaltyOrderRead.self)
            reads.add(OrdersSeenRead.self)
            let found = try await db.inTenant(signedUp.slug) { connection in
                var details = OrderDetails.sample
                details.externalID = "r-2"
                details.amountMinor = 77_000
                let arguments = OrderInsertArguments(
                    order: details, customerID: 1, idempotency: nil, asOf: Date(), timeZone: "Asia/Shanghai",
                    customerLocked: true)
                return try #require(try await OrderStore.insert(arguments, reads: reads, on: connection))
            }
            #expect(found.order.details.amountMinor == 77_000)
            // The read sees the one order before this one, and the inserted row beside it.
            #expect(found.reads.value(of: OrdersSeenRead.self) == "1/77000")
            // No programme in the tenant: loyalty's read is null, so loyalty does nothing.
            #expect(found.reads.value(of: LoyaltyOrderRead.self) == nil)
        }
    }
}

extension OrderDetails {
    /// An order of the tenant's currency for tests of the order path's parts.
    static var sample: OrderDetails {
        OrderDetails(
            externalID: nil, amountMinor: 100_000, currency: "CNY", productName: "Lijiang", productCategory: nil,
            productSKU: nil, destination: nil, channel: nil, orderedAt: Date(), travelStart: nil, travelEnd: nil,
            partySize: nil, status: .confirmed)
    }
}
