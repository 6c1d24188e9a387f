import Foundation
import PostgresNIO

/// A read that a reaction to `OrderRecorded` makes inside the order's own insert statement, so that
/// learning what it needs costs no round trip of its own (each costs about a quarter of a
/// millisecond here; decision 0010).
///
/// A read is one SQL expression of type `text` (JSON as a rule), evaluated after the order row is
/// inserted, over the names of `OrderInsertNames`. Its value reaches the reaction in
/// `OrderRecorded.reads`. The statement's snapshot does not see the inserted row, and sees the
/// customer's other orders as they are only when `customerLocked` holds: a read of those must add
/// the inserted order itself and be made only then.
protocol OrderInsertRead: Sendable {
    static func sql(_ names: OrderInsertNames) -> String
}

/// The names an `OrderInsertRead` may use.
struct OrderInsertNames: Sendable {
    /// The inserted order's row, with the columns of `OrderStore.columns`.
    let order = "i"
    let customer = "$1::bigint"
    let currency = "$4::text"
    /// The moment of recording, `timestamptz`.
    let asOf = "$17::timestamptz"
    /// The tenant's time zone (an IANA name, `text`).
    let timeZone = "$18::text"
    /// Whether the customer's orders are current in the statement's snapshot (`boolean`; see
    /// `OrderRecorded.customerLocked`).
    let customerLocked = "$19::boolean"
}

/// What the reads found, by read.
struct OrderInsertReadValues: Sendable {
    let values: [ObjectIdentifier: String]

    /// The value of `read`; `nil` when it was not made or was null.
    func value(of read: any OrderInsertRead.Type) -> String? {
        values[ObjectIdentifier(read)]
    }
}

/// The reads the order insert makes, chosen at wiring time.
///
/// A prepared statement's SQL is fixed for its type (it is prepared once per connection; decision
/// 0002), so the reads are part of the statement's type, `OrderInsert<Reads>`: adding a read makes
/// the type one read longer.
struct OrderInsertReads: Sendable {
    /// Runs the order's insert with the reads (`OrderStore.insert`).
    let insert: @Sendable (OrderInsertArguments, TenantConnection) async throws -> (Order, OrderInsertReadValues)?
    private let adding: @Sendable (any OrderInsertRead.Type) -> OrderInsertReads

    /// No reads.
    init() { self = Self.make(NoOrderInsertReads.self) }

    private init(
        insert:
            @escaping @Sendable (OrderInsertArguments, TenantConnection) async throws -> (
                Order, OrderInsertReadValues
            )?,
        adding: @escaping @Sendable (any OrderInsertRead.Type) -> OrderInsertReads
    ) {
        self.insert = insert
        self.adding = adding
    }

    /// Makes `read` in every order's insert from now on.
    mutating func add(_ read: any OrderInsertRead.Type) {
        self = adding(read)
    }

    static func make<List: OrderInsertReadList>(_ list: List.Type) -> OrderInsertReads {
        OrderInsertReads(
            insert: { arguments, tenant in
                var found: (Order, OrderInsertReadValues)?
                for try await row in try await tenant.connection.execute(
                    OrderInsert<List>(arguments), logger: tenant.logger)
                {
                    found = row
                }
                return found
            },
            adding: { read in
                func adding<Read: OrderInsertRead>(_: Read.Type) -> OrderInsertReads {
                    make(MoreOrderInsertReads<List, Read>.self)
                }
                return adding(read)
            })
    }
}

/// A list of reads as a type (see `OrderInsertReads`).
protocol OrderInsertReadList: Sendable {
    static var reads: [any OrderInsertRead.Type] { get }
}

enum NoOrderInsertReads: OrderInsertReadList {
    static var reads: [any OrderInsertRead.Type] { [] }
}

enum MoreOrderInsertReads<Earlier: OrderInsertReadList, Read: OrderInsertRead>: OrderInsertReadList {
    static var reads: [any OrderInsertRead.Type] { Earlier.reads + [Read.self] }
}
