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
        let rows = try await tenant.query(
            """
            WITH inserted AS (
                INSERT INTO orders (customer_id, external_id, amount_minor, currency, product_name, product_category,
                                    product_sku, destination, channel, ordered_at, travel_start, travel_end,
                                    party_size, status)
                VALUES (\(customerID), \(new.externalID), \(new.amountMinor), \(new.currency), \(new.productName),
                        \(new.productCategory), \(new.productSKU), \(new.destination), \(new.channel), \(new.orderedAt),
                        \(new.travelStart)::date, \(new.travelEnd)::date, \(new.partySize), \(new.status.rawValue))
                ON CONFLICT (external_id) DO NOTHING
                RETURNING \(unescaped: columns)
            ), counted AS (
                UPDATE customers c SET order_count = c.order_count + 1,
                    total_spent_minor = c.total_spent_minor + o.amount_minor,
                    first_order_at = least(c.first_order_at, o.ordered_at),
                    last_order_at = greatest(c.last_order_at, o.ordered_at), updated_at = now()
                FROM inserted o
                WHERE c.id = o.customer_id AND o.status IN ('confirmed', 'completed')
                RETURNING c.id
            ), tagged AS (
                INSERT INTO customer_tags (customer_id, tag, source)
                SELECT o.customer_id, t.name, 'rule' FROM inserted o
                JOIN tags t ON t.rule_product_category = o.product_category
                           AND (t.rule_destination IS NULL OR lower(t.rule_destination) = lower(o.destination))
                WHERE o.status IN ('confirmed', 'completed')
                ON CONFLICT DO NOTHING
                RETURNING 1
            )
            SELECT \(unescaped: columns) FROM inserted
            """
        )
        for try await row in rows { return try order(from: row) }
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
