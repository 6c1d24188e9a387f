import Foundation
import PostgresNIO

/// Finds the customer a request's identities name, or creates one, so that concurrent requests
/// naming the same identity end with one customer.
///
/// When every identity a request names is known and names one customer (an order of a returning
/// customer), one statement finds it and locks its row against a merge or erasure (the order's claim
/// of one identity, against any other change to the customer's orders too). Otherwise
/// each identity's transaction-scoped advisory lock is taken, in a fixed order, before the
/// identities are looked up again: a second request naming the same new phone waits for the first to
/// commit and then finds its customer. Merges and erasures take the same locks before they move or
/// delete identities (decision 0005).
enum IdentityResolver {
    /// The customer a request resolved to.
    struct Resolution: Sendable, Equatable {
        public var customerID: Int64
        public var created: Bool
        /// Whether the customer's row is locked as every change to a customer's orders locks it
        /// (`FOR NO KEY UPDATE`), or the customer is new in this transaction: no other change to their
        /// orders can be in flight.
        public var ordersLocked: Bool
    }

    /// Resolves `identities` (and the explicit `customerID`, when given) to one customer: the one
    /// they name, given the identities it lacks and the profile fields it lacks; or a new customer
    /// with them all. A 409 when they name two customers. `knownOwners` and `lockedCustomer` come
    /// from an earlier lookup in the transaction (`OrderClaim`).
    static func resolve(
        _ identities: [(identity: CustomerIdentity, field: String)],
        customerID: Int64? = nil,
        profile: CustomerProfile,
        consents: [Consent] = [],
        knownOwners: [CustomerIdentity: Int64]? = nil,
        ordersLocked lockedCustomer: Int64? = nil,
        on tenant: TenantConnection
    ) async throws -> Resolution {
        if customerID == nil, !identities.isEmpty,
            let known = try await knownCustomer(identities.map(\.identity), owners: knownOwners, on: tenant)
        {
            if profile != CustomerProfile() {
                try await CustomerStore.apply(profile, to: known, overwrite: false, on: tenant)
            }
            if !consents.isEmpty { try await CustomerStore.record(consents, for: known, on: tenant) }
            return Resolution(customerID: known, created: false, ordersLocked: known == lockedCustomer)
        }
        try await lock(identities.map(\.identity), on: tenant)
        let owners = try await owners(of: identities.map(\.identity), on: tenant)
        var named: [(customer: Int64, by: String)] = []
        if let customerID {
            try await CustomerStore.requireLive(customerID, on: tenant)
            named.append((customerID, "id \(customerID)"))
        }
        for (identity, _) in identities {
            if let owner = owners[identity] { named.append((owner, identity.described)) }
        }
        if let first = named.first, let other = named.first(where: { $0.customer != first.customer }) {
            var problem = Problem.conflict(
                "The \(first.by) belongs to customer '\(first.customer)' and the \(other.by) to customer '\(other.customer)'; merge them with POST /v1/customers/\(first.customer)/merge before using both."
            )
            problem.members["customer_ids"] = .strings([String(first.customer), String(other.customer)])
            throw problem
        }
        let resolution: Resolution
        if let existing = named.first?.customer {
            if profile != CustomerProfile() {
                try await CustomerStore.apply(profile, to: existing, overwrite: false, on: tenant)
            }
            // `requireLive` locked a customer named by id as a change to their orders does.
            resolution = Resolution(customerID: existing, created: false, ordersLocked: existing == customerID)
        } else {
            resolution = Resolution(
                customerID: try await CustomerStore.insert(profile, on: tenant), created: true, ordersLocked: true)
        }
        let missing = identities.map(\.identity).filter { owners[$0] == nil }
        try await CustomerStore.attach(missing, to: resolution.customerID, on: tenant)
        if !consents.isEmpty { try await CustomerStore.record(consents, for: resolution.customerID, on: tenant) }
        return resolution
    }

    /// Takes the identities' advisory locks in a fixed order (so two requests cannot each hold one
    /// the other waits for), keyed by the tenant's schema so tenants do not wait on each other.
    static func lock(_ identities: [CustomerIdentity], on tenant: TenantConnection) async throws {
        guard !identities.isEmpty else { return }
        let keys = identities.map {
            "\(tenant.tenant.schema)\u{1F}\($0.kind.rawValue)\u{1F}\($0.source)\u{1F}\($0.value)"
        }
        try await tenant.execute(
            """
            SELECT count(pg_advisory_xact_lock(h))
            FROM (SELECT DISTINCT hashtextextended(k, 0) AS h FROM unnest(\(keys)::text[]) AS k ORDER BY 1) AS ordered
            """
        )
    }

    /// The one customer that every identity belongs to, its row share-locked; `nil` when an identity
    /// is unknown or they name several customers. `owners` found by an earlier locking lookup in
    /// the transaction (`OrderClaim`) spare the statement.
    static func knownCustomer(
        _ identities: [CustomerIdentity], owners known: [CustomerIdentity: Int64]?, on tenant: TenantConnection
    ) async throws -> Int64? {
        var owners = known ?? [:]
        if known == nil { owners = try await self.owners(of: identities, on: tenant) }
        guard owners.count == Set(identities).count, Set(owners.values).count == 1 else { return nil }
        return owners.values.first
    }

    /// Which customer owns each identity that has an owner, the owners' rows share-locked.
    static func owners(of identities: [CustomerIdentity], on tenant: TenantConnection) async throws
        -> [CustomerIdentity: Int64]
    {
        guard !identities.isEmpty else { return [:] }
        return try await LockedIdentityOwners.run(identities, on: tenant)
    }
}
