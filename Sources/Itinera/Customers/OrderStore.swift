import Foundation
import PostgresNIO

/// The SQL of orders (tenant schema).
enum OrderStore {
    static let columns = """
        id, customer_id, external_id, amount_minor, currency, product_name, product_category, product_sku,
        destination, channel, ordered_at, travel_start::text, travel_end::text, party_size, status, cancelled_at,
        created_at
        """
    /// How many columns `columns` names.
    static let columnCount = columns.split(separator: ",").count

    static func order(from row: PQRow) throws -> Order {
        let c = row.makeRandomAccess()
        return Order(
            id: try c[0].decode(Int64.self),
            customerID: try c[1].decode(Int64.self),
            details: OrderDetails(
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
                status: Order.Status(rawValue: try c[14].decode(String.self)) ?? .confirmed
            ),
            cancelledAt: try c[15].decode(Date?.self),
            createdAt: try c[16].decode(Date.self)
        )
    }

    /// Inserts the order, counts it in its customer's value figures, applies tag rules and stores it
    /// as the answer to its idempotency key, in one statement that also makes `reads` (`OrderInsert`):
    /// the order as recorded and what the reads found; `nil` when another order already has its
    /// external id.
    static func insert(_ arguments: OrderInsertArguments, reads: OrderInsertReads, on tenant: TenantConnection)
        async throws -> (order: Order, reads: OrderInsertReadValues)?
    {
        try await reads.insert(arguments, tenant)
    }

    /// One page of orders, newest by id first, after order `after` (when set), of one customer (when
    /// set); one more than `limit` when a next page exists.
    static func list(customer: Int64?, after: Int64?, limit: Int, on tenant: TenantConnection) async throws
        -> [Order]
    {
        let rows = try await tenant.query(
            """
            SELECT \(unescaped: columns) FROM orders
            WHERE (\(customer)::bigint IS NULL OR customer_id = \(customer))
              AND (\(after)::bigint IS NULL OR id < \(after))
            ORDER BY id DESC LIMIT \(limit)
            """)
        var orders: [Order] = []
        for try await row in rows { orders.append(try order(from: row)) }
        return orders
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
        guard before.details.status.counts else { return (before, before) }
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

/// An order as `OrderInsert` stored it for its idempotency key: the row's columns as JSON.
struct StoredOrder: Decodable {
    let id: Int64
    let customerID: Int64
    let externalID: String?
    let amountMinor: Int64
    let currency: String
    let productName: String
    let productCategory: String?
    let productSKU: String?
    let destination: String?
    let channel: String?
    let orderedAt: String
    let travelStart: String?
    let travelEnd: String?
    let partySize: Int?
    let status: String
    let cancelledAt: String?
    let createdAt: String

    enum CodingKeys: String, CodingKey {
        case id, currency, destination, channel, status
        case customerID = "customer_id"
        case externalID = "external_id"
        case amountMinor = "amount_minor"
        case productName = "product_name"
        case productCategory = "product_category"
        case productSKU = "product_sku"
        case orderedAt = "ordered_at"
        case travelStart = "travel_start"
        case travelEnd = "travel_end"
        case partySize = "party_size"
        case cancelledAt = "cancelled_at"
        case createdAt = "created_at"
    }

    /// The order the stored answer describes.
    static func order(from json: String) throws -> Order {
        let stored = try JSONDecoder().decode(StoredOrder.self, from: Data(json.utf8))
        let dates = RFC3339DateTranscoder()
        return Order(
            id: stored.id, customerID: stored.customerID,
            details: OrderDetails(
                externalID: stored.externalID, amountMinor: stored.amountMinor, currency: stored.currency.trimmed,
                productName: stored.productName, productCategory: stored.productCategory,
                productSKU: stored.productSKU, destination: stored.destination, channel: stored.channel,
                orderedAt: try dates.decode(stored.orderedAt), travelStart: stored.travelStart,
                travelEnd: stored.travelEnd, partySize: stored.partySize,
                status: Order.Status(rawValue: stored.status) ?? .confirmed),
            cancelledAt: try stored.cancelledAt.map { try dates.decode($0) },
            createdAt: try dates.decode(stored.createdAt))
    }
}
