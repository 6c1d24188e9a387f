import Foundation
import PostgresNIO
import Synchronization

/// What an order's insert is given.
struct OrderInsertArguments: Sendable {
    let order: OrderDetails
    let customerID: Int64
    /// The key whose stored answer the order becomes.
    let idempotency: (operation: String, key: String)?
    /// The moment of recording, and the tenant's time zone, for the reads.
    let asOf: Date
    let timeZone: String
    /// Whether the customer's orders are current in the statement's snapshot (`OrderRecorded`).
    let customerLocked: Bool
}

/// Inserts an order, adds it to its customer's value figures when its status counts, applies tag
/// rules, and stores the order as first recorded as the answer to its idempotency key, in one
/// statement; then makes the reads that the reactions to `OrderRecorded` asked for (`Reads`). No
/// row when another order has the external id.
struct OrderInsert<Reads: OrderInsertReadList>: PQPreparedStatement {
    static var name: String { statement.name }
    static var sql: String { statement.sql }

    /// The name and SQL of this list of reads, made once: the driver asks for both at every
    /// execution.
    private static var statement: (name: String, sql: String) {
        let key = ObjectIdentifier(Self.self)
        if let made = madeStatements.withLock({ $0[key] }) { return made }
        let names = OrderInsertNames()
        let reads = Reads.reads.enumerated().map { index, read in
            ",\n       (\(read.sql(names)))::text AS read_\(index)"
        }.joined()
        let made = (
            name: "OrderInsert" + Reads.reads.map { "+" + String(describing: $0) }.joined(),
            sql: """
            WITH inserted AS (
                INSERT INTO orders (customer_id, external_id, amount_minor, currency, product_name,
                                    product_category, product_sku, destination, channel, ordered_at, travel_start,
                                    travel_end, party_size, status)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::date, $12::date, $13, $14)
                ON CONFLICT (external_id) DO NOTHING
                RETURNING \(OrderStore.columns)
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
            ), answered AS (
                UPDATE idempotency_keys k SET status = 201, response = to_jsonb(o)
                FROM inserted o WHERE k.operation = $15 AND k.key = $16
                RETURNING 1
            )
            SELECT \(OrderStore.columns.split(separator: ",").map { "i." + $0.trimmed }.joined(separator: ", "))\(reads)
            FROM inserted i
            """
        )
        madeStatements.withLock { $0[key] = made }
        return made
    }

    typealias Row = (Order, OrderInsertReadValues)

    let arguments: OrderInsertArguments

    init(_ arguments: OrderInsertArguments) {
        self.arguments = arguments
    }

    func makeBindings() throws -> PQBindings {
        let order = arguments.order
        var bindings = PQBindings(capacity: 19)
        bindings.append(arguments.customerID)
        bindings.append(order.externalID)
        bindings.append(order.amountMinor)
        bindings.append(order.currency)
        bindings.append(order.productName)
        bindings.append(order.productCategory)
        bindings.append(order.productSKU)
        bindings.append(order.destination)
        bindings.append(order.channel)
        bindings.append(order.orderedAt)
        bindings.append(order.travelStart)
        bindings.append(order.travelEnd)
        bindings.append(order.partySize)
        bindings.append(order.status.rawValue)
        bindings.append(arguments.idempotency?.operation)
        bindings.append(arguments.idempotency?.key)
        bindings.append(arguments.asOf)
        bindings.append(arguments.timeZone)
        bindings.append(arguments.customerLocked)
        return bindings
    }

    func decodeRow(_ row: PQRow) throws -> Row {
        let order = try OrderStore.order(from: row)
        let columns = row.makeRandomAccess()
        var values: [ObjectIdentifier: String] = [:]
        for (index, read) in Reads.reads.enumerated() {
            if let value = try columns[OrderStore.columnCount + index].decode(String?.self) {
                values[ObjectIdentifier(read)] = value
            }
        }
        return (order, OrderInsertReadValues(values: values))
    }
}

/// The statements `OrderInsert` made, by list of reads.
private let madeStatements = Mutex<[ObjectIdentifier: (name: String, sql: String)]>([:])
