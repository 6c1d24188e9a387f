import Foundation
import PostgresNIO

/// What a merge moved from the other customer, as recorded on the timeline and in the audit trail.
public struct MergeSummary: Sendable, Equatable, Codable {
    public var mergedID: String
    public var identities: Int
    public var orders: Int
    public var interactions: Int
    public var consents: Int
    public var tags: Int

    enum CodingKeys: String, CodingKey {
        case identities, orders, interactions, consents, tags
        case mergedID = "merged_id"
    }
}

/// What an erasure removed; it names no person.
public struct ErasureSummary: Sendable, Equatable, Codable {
    public var identities: Int
    public var consents: Int
    public var interactions: Int
    public var orders: Int
    public var tags: Int
}

extension CustomerStore {
    /// Moves everything `other` owns (identities, orders, interactions, consents, tags) to `survivor`,
    /// fills the survivor's missing profile fields from it, recomputes the survivor's value figures,
    /// and removes `other`, leaving a record that names the survivor. Identity locks first, then the
    /// two rows, in the order `IdentityResolver` takes them; then, with both rows locked, `merging`
    /// (the other capabilities' reactions to `CustomersMerged`) moves what they keep of `other`.
    static func merge(
        _ other: Int64, into survivor: Int64, on tenant: TenantConnection,
        merging: (CustomersMerged) async throws -> Void
    ) async throws -> MergeSummary {
        try await IdentityResolver.lock(try await identities(of: [survivor, other], on: tenant), on: tenant)
        try await lockLive([survivor, other], on: tenant)
        try await merging(CustomersMerged(survivor: survivor, merged: other))
        let moved = try await tenant.query(
            """
            WITH identities AS (
                UPDATE customer_identities SET customer_id = \(survivor) WHERE customer_id = \(other) RETURNING 1
            ), orders AS (
                UPDATE orders SET customer_id = \(survivor), updated_at = now() WHERE customer_id = \(other) RETURNING 1
            ), interactions AS (
                UPDATE interactions SET customer_id = \(survivor) WHERE customer_id = \(other) RETURNING 1
            ), moved_consents AS (
                INSERT INTO consents (customer_id, channel, purpose, granted, recorded_at, source)
                SELECT \(survivor), channel, purpose, granted, recorded_at, source FROM consents
                WHERE customer_id = \(other)
                ON CONFLICT (customer_id, channel, purpose) DO UPDATE
                SET granted = excluded.granted, recorded_at = excluded.recorded_at, source = excluded.source
                WHERE consents.recorded_at < excluded.recorded_at
                RETURNING 1
            ), old_consents AS (
                DELETE FROM consents WHERE customer_id = \(other) RETURNING 1
            ), consent_history AS (
                UPDATE consent_history SET customer_id = \(survivor) WHERE customer_id = \(other) RETURNING 1
            ), moved_tags AS (
                INSERT INTO customer_tags (customer_id, tag, source, added_at)
                SELECT \(survivor), tag, source, added_at FROM customer_tags WHERE customer_id = \(other)
                ON CONFLICT (customer_id, tag) DO NOTHING
                RETURNING 1
            ), old_tags AS (
                DELETE FROM customer_tags WHERE customer_id = \(other) RETURNING 1
            )
            SELECT (SELECT count(*) FROM identities)::int, (SELECT count(*) FROM orders)::int,
                   (SELECT count(*) FROM interactions)::int, (SELECT count(*) FROM old_consents)::int,
                   (SELECT count(*) FROM old_tags)::int
            """
        )
        var summary = MergeSummary(
            mergedID: String(other), identities: 0, orders: 0, interactions: 0, consents: 0, tags: 0)
        for try await c in moved.decode((Int, Int, Int, Int, Int).self) {
            summary = MergeSummary(
                mergedID: String(other), identities: c.0, orders: c.1, interactions: c.2, consents: c.3, tags: c.4)
        }
        let summaryJSON = String(decoding: try JSONEncoder().encode(summary), as: UTF8.self)
        try await tenant.execute(
            """
            UPDATE customers s SET
                name = coalesce(s.name, o.name), gender = coalesce(s.gender, o.gender),
                birth_year = coalesce(s.birth_year, o.birth_year), region = coalesce(s.region, o.region),
                city = coalesce(s.city, o.city), language = coalesce(s.language, o.language),
                attributes = o.attributes || s.attributes, created_at = least(s.created_at, o.created_at),
                updated_at = now()
            FROM customers o WHERE s.id = \(survivor) AND o.id = \(other)
            """
        )
        // Ids merged into `other` before now lead to the survivor too.
        try await tenant.execute("UPDATE customer_merges SET into_id = \(survivor) WHERE into_id = \(other)")
        try await tenant.execute(
            """
            INSERT INTO customer_merges (merged_id, into_id, summary) VALUES (\(other), \(survivor), \(summaryJSON)::jsonb)
            """
        )
        try await tenant.execute("DELETE FROM customers WHERE id = \(other)")
        try await refreshFigures(of: survivor, on: tenant)
        return summary
    }

    /// Erases the customer's personal data: identities, consents, interactions and tags go, profile fields
    /// are emptied, orders lose the partner's order number but keep amounts, products and dates.
    /// `nil` when the customer was already erased.
    static func erase(_ id: Int64, on tenant: TenantConnection) async throws -> ErasureSummary? {
        try await IdentityResolver.lock(try await identities(of: [id], on: tenant), on: tenant)
        let rows = try await tenant.query("SELECT erased_at FROM customers WHERE id = \(id) FOR UPDATE")
        var found = false
        for try await erasedAt in rows.decode(Date?.self) {
            if erasedAt != nil { return nil }
            found = true
        }
        if !found { try await requireLive(id, on: tenant) }
        let erased = try await tenant.query(
            """
            WITH identities AS (
                DELETE FROM customer_identities WHERE customer_id = \(id) RETURNING 1
            ), consents AS (
                DELETE FROM consents WHERE customer_id = \(id) RETURNING 1
            ), consent_history AS (
                DELETE FROM consent_history WHERE customer_id = \(id) RETURNING 1
            ), interactions AS (
                DELETE FROM interactions WHERE customer_id = \(id) RETURNING 1
            ), tags AS (
                DELETE FROM customer_tags WHERE customer_id = \(id) RETURNING 1
            ), orders AS (
                UPDATE orders SET external_id = NULL, updated_at = now() WHERE customer_id = \(id) RETURNING 1
            ), customer AS (
                UPDATE customers SET name = NULL, gender = NULL, birth_year = NULL, region = NULL, city = NULL,
                    language = NULL, attributes = '{}'::jsonb, erased_at = now(), updated_at = now()
                WHERE id = \(id)
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM identities)::int, (SELECT count(*) FROM consents)::int,
                   (SELECT count(*) FROM interactions)::int, (SELECT count(*) FROM orders)::int,
                   (SELECT count(*) FROM tags)::int, (SELECT count(*) FROM customer)::int
            """
        )
        for try await c in erased.decode((Int, Int, Int, Int, Int, Int).self) {
            return ErasureSummary(identities: c.0, consents: c.1, interactions: c.2, orders: c.3, tags: c.4)
        }
        return nil
    }

    /// Recomputes the value figures from the customer's orders that count.
    static func refreshFigures(of id: Int64, on tenant: TenantConnection) async throws {
        try await tenant.execute(
            """
            UPDATE customers c SET order_count = f.n, total_spent_minor = f.total, first_order_at = f.first,
                last_order_at = f.last, updated_at = now()
            FROM (SELECT count(*)::int AS n, coalesce(sum(amount_minor), 0)::bigint AS total,
                         min(ordered_at) AS first, max(ordered_at) AS last
                  FROM orders WHERE customer_id = \(id) AND status IN ('confirmed', 'completed')) f
            WHERE c.id = \(id)
            """
        )
    }

    /// Locks the customers' rows in id order; a 404 for one that is missing, merged or erased.
    static func lockLive(_ ids: [Int64], on tenant: TenantConnection) async throws {
        let rows = try await tenant.query(
            "SELECT id FROM customers WHERE id = ANY(\(ids)) AND erased_at IS NULL ORDER BY id FOR UPDATE")
        var live = Set<Int64>()
        for try await id in rows.decode(Int64.self) { live.insert(id) }
        for id in ids where !live.contains(id) { try await requireLive(id, on: tenant) }
    }

    /// The identities the customers hold now.
    static func identities(of ids: [Int64], on tenant: TenantConnection) async throws -> [CustomerIdentity] {
        let rows = try await tenant.query(
            "SELECT kind, source, value FROM customer_identities WHERE customer_id = ANY(\(ids))")
        var identities: [CustomerIdentity] = []
        for try await (kind, source, value) in rows.decode((String, String, String).self) {
            if let kind = CustomerIdentity.Kind(rawValue: kind) {
                identities.append(CustomerIdentity(kind: kind, source: source, value: value))
            }
        }
        return identities
    }
}
