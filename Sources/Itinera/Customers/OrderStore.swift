import Foundation
import PostgresNIO

/// The SQL of orders (tenant schema).
enum OrderStore {
    static let columns = """
        id, customer_id, external_id, amount_minor, currency, product_name, product_category, product_sku,
        destination, channel, ordered_at, travel_start::text, travel_end::text, party_size, status, cancelled_at,
        created_at
        """

    static func order(from row: PostgresRow) throws -> Order {
        let c = row.makeRandomAccess()
        return Order(
            id: try c[0].decode(Int64.self),
            customerID: try c[1].decode(Int64.self),
            externalID: try c[2].decode(String?.self),
            amountMinor: try c[3].decode(Int64.self),
            currency: try c[4].decode(String.self),
            productName: try c[5].decode(String.self),
            productCategory: try c[6].decode(String?.self),
            productSKU: try c[7].decode(String?.self),
            destination: try c[8].decode(String?.self),
            channel: try c[9].decode(String?.self),
            orderedAt: try c[10].decode(Date.self),
            travelStart: try c[11].decode(String?.self),
            travelEnd: try c[12].decode(String?.self),
            partySize: try c[13].decode(Int?.self),
            status: Order.Status(rawValue: try c[14].decode(String.self)) ?? .confirmed,
            cancelledAt: try c[15].decode(Date?.self),
            createdAt: try c[16].decode(Date.self)
        )
    }

    /// Inserts the order and, when its status counts, adds it to the customer's value figures and
    /// gives the customer the tags whose rules it matches, in one statement. `nil` when another order already has its external id.
    static func insert(_ new: NewOrder, customerID: Int64, on tenant: TenantConnection) async throws -> Order? {
        let rows = try await tenant.connection.execute(
            OrderInsert(order: new, customerID: customerID), logger: tenant.logger)
        for try await order in rows { return order }
        return nil
    }

    /// The order with this id or external id.
    static func find(id: Int64? = nil, externalID: String? = nil, on tenant: TenantConnection) async throws -> Order? {
        let rows = try await tenant.query(
            "SELECT \(unescaped: columns) FROM orders WHERE id = \(id) OR external_id = \(externalID)")
        for try await row in rows { return try order(from: row) }
        return nil
    }

    /// Cancels a confirmed or completed order; the order before and after, or `nil` when there is no
    /// such order. A cancelled or refunded order comes back unchanged.
    static func cancel(_ id: Int64, on tenant: TenantConnection) async throws -> (before: Order, after: Order)? {
        guard let before = try await find(id: id, on: tenant) else { return nil }
        guard before.status.counts else { return (before, before) }
        // The customer's row first, so its figures are recomputed with no order of theirs in flight.
        try await tenant.execute("SELECT 1 FROM customers WHERE id = \(before.customerID) FOR NO KEY UPDATE")
        let rows = try await tenant.query(
            """
            UPDATE orders SET status = 'cancelled', cancelled_at = now(), updated_at = now()
            WHERE id = \(id) AND status IN ('confirmed', 'completed')
            RETURNING \(unescaped: columns)
            """
        )
        var after: Order?
        for try await row in rows { after = try order(from: row) }
        guard let after else { return try await find(id: id, on: tenant).map { ($0, $0) } }
        try await CustomerStore.refreshFigures(of: after.customerID, on: tenant)
        return (before, after)
    }
}
