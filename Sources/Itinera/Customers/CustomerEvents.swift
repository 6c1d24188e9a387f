import Foundation

/// An order was recorded (`POST /v1/orders`): it is stored and counted in its customer's value
/// figures, in the transaction the reactions run in.
struct OrderRecorded: DomainEvent {
    let order: Order
    /// Whether the customer's row was locked against every other change to their orders before the
    /// insert's snapshot was taken, as reported by the statement that took the lock (the claim of
    /// the order's one identity, `CustomerStore.requireLive` for a customer named by id) or because
    /// the customer is new in this transaction: then what the insert read of the customer's orders
    /// is current (see `OrderInsertRead`).
    let customerLocked: Bool
    /// The moment the order was recorded at, as the insert's reads saw it.
    let asOf: Date
    /// What each `OrderInsertRead` found in the insert.
    let reads: OrderInsertReadValues
}

/// An order that counted was cancelled (`POST /v1/orders/{id}/cancel`) and no longer counts; the
/// customer's value figures are already recomputed.
struct OrderCancelled: DomainEvent {
    let order: Order
}

/// Two customers are being merged (`POST /v1/customers/{id}/merge`): both rows exist and are
/// locked, and everything of `merged` is about to move to `survivor`. A reaction moves what its
/// capability keeps of `merged`, or throws to refuse the merge.
struct CustomersMerged: DomainEvent {
    let survivor: Int64
    let merged: Int64
}

/// A customer was created: by `POST /v1/customers`, or by an order or interaction whose identities
/// named nobody yet (`source`: `api`, `order`, `interaction`). Bulk imports publish none.
struct CustomerCreated: DomainEvent {
    let customerID: Int64
    let source: String
}

/// A customer's personal data was erased (`DELETE /v1/customers/{id}`).
struct CustomerErased: DomainEvent {
    let customerID: Int64
}
