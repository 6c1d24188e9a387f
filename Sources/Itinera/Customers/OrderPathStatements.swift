import Foundation
import PostgresNIO

// The statements of `POST /v1/orders`, prepared once per connection (decision 0002): planning the
// order insert costs more than running it. PostgreSQL re-parses a prepared statement when the
// search path names another tenant's schema, so each runs against the tenant the transaction entered.

/// Claims an idempotency key; a row when the key is new.
struct IdempotencyClaim: PQPreparedStatement {
    static let sql = """
        INSERT INTO idempotency_keys (operation, key, request_hash) VALUES ($1, $2, $3)
        ON CONFLICT DO NOTHING RETURNING true
        """
    typealias Row = Bool

    let operation: String
    let key: String
    let requestHash: Data

    func makeBindings() throws -> PQBindings {
        var bindings = PQBindings(capacity: 3)
        bindings.append(operation)
        bindings.append(key)
        try bindings.append(requestHash)
        return bindings
    }

    func decodeRow(_ row: PQRow) throws -> Bool { try row.decode(Bool.self) }
}

/// Claims an order's idempotency key and, in the same round trip, finds the owners of the order's
/// identities with their rows locked (share-locked as `LockedIdentityOwners`; `OrderClaimOne` locks
/// its one customer as an order's change does). One row at least: the claim,
/// with the owners (or nulls) beside it. The owners are used only when the key is new; a lookup that
/// waited for a concurrent claim of the same key answers that request's response instead.
///
/// `OrderClaim.run` picks the statement: `OrderClaimOne` when the order names one identity (the
/// common case), `OrderClaim` otherwise.
struct OrderClaim: OrderClaimStatement {
    static let sql = claimSQL(owners: LockedIdentityOwners.select(identitiesFrom: 4))

    let operation: String
    let key: String
    let requestHash: Data
    let identities: [CustomerIdentity]

    func bindIdentities(_ bindings: inout PQBindings) {
        LockedIdentityOwners(identities: identities).bind(&bindings)
    }

    /// Claims the key and finds the identities' owners with whichever statement fits; `ordersLocked`
    /// is the customer whose row the statement locked as a change to their orders locks it
    /// (`OrderClaimOne`'s owner), whom no other change to their orders can then be in flight for.
    static func run(
        operation: String, key: String, requestHash: Data, identities: [CustomerIdentity], on tenant: TenantConnection
    ) async throws -> (claimed: Bool, owners: [CustomerIdentity: Int64], ordersLocked: Int64?) {
        let statement = try statement(
            operation: operation, key: key, requestHash: requestHash, identities: identities)
        return try answer(try await tenant.connection.query(statement), identities: identities)
    }

    /// The claim as a statement, for a pipeline: `OrderClaimOne` for one identity, else `OrderClaim`.
    static func statement(operation: String, key: String, requestHash: Data, identities: [CustomerIdentity]) throws
        -> PQStatement
    {
        if identities.count == 1 {
            return try PQStatement(
                OrderClaimOne(operation: operation, key: key, requestHash: requestHash, identity: identities[0]))
        }
        return try PQStatement(
            OrderClaim(operation: operation, key: key, requestHash: requestHash, identities: identities))
    }

    /// What the claim's rows say: whether the key was new, the owners found, and the customer whose
    /// orders it locked (`OrderClaimOne` locks its one owner).
    static func answer(_ rows: PQRows, identities: [CustomerIdentity]) throws
        -> (claimed: Bool, owners: [CustomerIdentity: Int64], ordersLocked: Int64?)
    {
        var claimed = false
        var owners: [CustomerIdentity: Int64] = [:]
        for index in 0..<rows.count {
            let row = try OrderClaimOne.decodeClaimRow(rows[index])
            claimed = row.claimed
            if let (identity, customer) = row.owner { owners[identity] = customer }
        }
        return (claimed, owners, identities.count == 1 ? owners[identities[0]] : nil)
    }
}

/// `OrderClaim` for an order naming one identity. Its parameters are plain values, so PostgreSQL
/// keeps one generic plan for it; the array form's generic plan is costed for ten identities, so
/// PostgreSQL would plan that statement again at every execution.
///
/// It locks the customer's row as a change to the customer's orders does (`FOR NO KEY UPDATE`, not
/// only against a merge or an erasure): no other change to their orders can then be in flight, so
/// the order's insert, whose snapshot is taken after this lock, reads their orders as they are and
/// the loyalty figures can be read in that same statement (`OrderInsert`).
struct OrderClaimOne: OrderClaimStatement {
    static let sql = claimSQL(owners: LockedIdentityOwner.select(identityFrom: 4, lock: "NO KEY UPDATE"))

    let operation: String
    let key: String
    let requestHash: Data
    let identity: CustomerIdentity

    func bindIdentities(_ bindings: inout PQBindings) {
        LockedIdentityOwner(identity: identity).bind(&bindings)
    }
}

/// What the two forms of the order claim share.
protocol OrderClaimStatement: PQPreparedStatement
where Row == (claimed: Bool, owner: (CustomerIdentity, Int64)?) {
    var operation: String { get }
    var key: String { get }
    var requestHash: Data { get }
    func bindIdentities(_ bindings: inout PQBindings)
}

extension OrderClaimStatement {
    static func claimSQL(owners: String) -> String {
        """
        WITH claim AS (
            INSERT INTO idempotency_keys (operation, key, request_hash) VALUES ($1, $2, $3)
            ON CONFLICT DO NOTHING RETURNING true
        ), owners AS (
            \(owners)
        )
        SELECT EXISTS (SELECT FROM claim), o.kind, o.source, o.value, o.id
        FROM (SELECT) AS one LEFT JOIN owners o ON true
        """
    }

    func makeBindings() throws -> PQBindings {
        var bindings = PQBindings(capacity: 6)
        bindings.append(operation)
        bindings.append(key)
        try bindings.append(requestHash)
        bindIdentities(&bindings)
        return bindings
    }

    func decodeRow(_ row: PQRow) throws -> Row { try Self.decodeClaimRow(row) }

    static func decodeClaimRow(_ row: PQRow) throws -> (claimed: Bool, owner: (CustomerIdentity, Int64)?) {
        let (claimed, kind, source, value, customer) = try row.decode((Bool, String?, String?, String?, Int64?).self)
        guard let kind, let source, let value, let customer, let kind = CustomerIdentity.Kind(rawValue: kind) else {
            return (claimed, nil)
        }
        return (claimed, (CustomerIdentity(kind: kind, source: source, value: value), customer))
    }
}

/// Stores the answer to a claimed key.
struct IdempotencyAnswer: PQPreparedStatement {
    static let sql = """
        UPDATE idempotency_keys SET status = $3, response = $4::jsonb WHERE operation = $1 AND key = $2
        """
    typealias Row = Bool

    let operation: String
    let key: String
    let status: Int
    let response: String

    func makeBindings() throws -> PQBindings {
        var bindings = PQBindings(capacity: 4)
        bindings.append(operation)
        bindings.append(key)
        bindings.append(status)
        bindings.append(response)
        return bindings
    }

    func decodeRow(_ row: PQRow) throws -> Bool { true }
}

/// The owners of identities that have one, with each owner's row share-locked against a merge or an
/// erasure until the transaction ends. `LockedIdentityOwner` is the form for one identity.
struct LockedIdentityOwners: PQPreparedStatement {
    static let sql = select(identitiesFrom: 1)

    /// The statement with the identities' kinds, sources and values in array parameters `$n`,
    /// `$n+1`, `$n+2`.
    static func select(identitiesFrom n: Int) -> String {
        """
        SELECT i.kind, i.source, i.value, c.id FROM customer_identities i
        JOIN unnest($\(n)::text[], $\(n + 1)::text[], $\(n + 2)::text[]) AS w(kind, source, value)
          ON (i.kind, i.source, i.value) = (w.kind, w.source, w.value)
        JOIN customers c ON c.id = i.customer_id
        FOR KEY SHARE OF c
        """
    }
    typealias Row = (CustomerIdentity, Int64)

    let identities: [CustomerIdentity]

    func bind(_ bindings: inout PQBindings) {
        bindings.append(identities.map(\.kind.rawValue))
        bindings.append(identities.map(\.source))
        bindings.append(identities.map(\.value))
    }

    func makeBindings() throws -> PQBindings {
        var bindings = PQBindings(capacity: 3)
        bind(&bindings)
        return bindings
    }

    func decodeRow(_ row: PQRow) throws -> (CustomerIdentity, Int64) {
        try Self.decodeOwner(row)
    }

    static func decodeOwner(_ row: PQRow) throws -> (CustomerIdentity, Int64) {
        let (kind, source, value, customer) = try row.decode((String, String, String, Int64).self)
        return (
            CustomerIdentity(kind: CustomerIdentity.Kind(rawValue: kind) ?? .external, source: source, value: value),
            customer
        )
    }

    /// The owners of `identities`, with the statement that fits their number.
    static func run(_ identities: [CustomerIdentity], on tenant: TenantConnection) async throws
        -> [CustomerIdentity: Int64]
    {
        var owners: [CustomerIdentity: Int64] = [:]
        if identities.count == 1 {
            let rows = try await tenant.connection.execute(
                LockedIdentityOwner(identity: identities[0]), logger: tenant.logger)
            for try await (identity, customer) in rows { owners[identity] = customer }
        } else {
            let rows = try await tenant.connection.execute(
                LockedIdentityOwners(identities: identities), logger: tenant.logger)
            for try await (identity, customer) in rows { owners[identity] = customer }
        }
        return owners
    }
}

/// `LockedIdentityOwners` for one identity, in plain parameters, so that PostgreSQL keeps one
/// generic plan for it (see `OrderClaimOne`).
struct LockedIdentityOwner: PQPreparedStatement {
    static let sql = select(identityFrom: 1)

    /// The statement with the identity's kind, source and value in parameters `$n`, `$n+1`, `$n+2`,
    /// the owner's row locked in `lock` mode.
    static func select(identityFrom n: Int, lock: String = "KEY SHARE") -> String {
        """
        SELECT i.kind, i.source, i.value, c.id FROM customer_identities i
        JOIN customers c ON c.id = i.customer_id
        WHERE (i.kind, i.source, i.value) = ($\(n)::text, $\(n + 1)::text, $\(n + 2)::text)
        FOR \(lock) OF c
        """
    }
    typealias Row = (CustomerIdentity, Int64)

    let identity: CustomerIdentity

    func bind(_ bindings: inout PQBindings) {
        bindings.append(identity.kind.rawValue)
        bindings.append(identity.source)
        bindings.append(identity.value)
    }

    func makeBindings() throws -> PQBindings {
        var bindings = PQBindings(capacity: 3)
        bind(&bindings)
        return bindings
    }

    func decodeRow(_ row: PQRow) throws -> (CustomerIdentity, Int64) {
        try LockedIdentityOwners.decodeOwner(row)
    }
}
