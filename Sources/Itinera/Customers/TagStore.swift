import Foundation
import PostgresNIO

/// The SQL of tags (tenant schema).
enum TagStore {
    static let columns = """
        t.name, t.description, t.rule_product_category, t.rule_destination, t.created_at,
        (SELECT count(*)::int FROM customer_tags ct WHERE ct.tag = t.name)
        """

    static func tag(from row: PQRow) throws -> Tag {
        let (name, description, category, destination, createdAt, customers) = try row.decode(
            (String, String?, String?, String?, Date, Int).self)
        return Tag(
            name: name, description: description,
            rule: category.map { Tag.Rule(productCategory: $0, destination: destination) }, customers: customers,
            createdAt: createdAt)
    }

    /// One page of tags by name.
    static func list(page: PageRequest, on tenant: TenantConnection) async throws -> [Tag] {
        let after = page.after?.first
        let rows = try await tenant.query(
            """
            SELECT \(unescaped: columns) FROM tags t WHERE \(after)::text IS NULL OR t.name > \(after)
            ORDER BY t.name LIMIT \(page.limit + 1)
            """
        )
        var tags: [Tag] = []
        for try await row in rows { tags.append(try tag(from: row)) }
        return tags
    }

    static func find(_ name: String, on tenant: TenantConnection) async throws -> Tag? {
        for try await row in try await tenant.query("SELECT \(unescaped: columns) FROM tags t WHERE t.name = \(name)") {
            return try tag(from: row)
        }
        return nil
    }

    /// Creates the tag; `false` when the name is taken. A rule is applied at once to every customer
    /// with a matching order that counts.
    static func create(
        name: String, description: String?, rule: Tag.Rule?, on tenant: TenantConnection
    ) async throws -> Bool {
        let inserted = try await tenant.query(
            """
            INSERT INTO tags (name, description, rule_product_category, rule_destination)
            VALUES (\(name), \(description), \(rule?.productCategory), \(rule?.destination))
            ON CONFLICT DO NOTHING RETURNING true
            """
        )
        var created = false
        for try await _ in inserted { created = true }
        guard created, let rule else { return created }
        try await tenant.execute(
            """
            INSERT INTO customer_tags (customer_id, tag, source)
            SELECT DISTINCT o.customer_id, \(name), 'rule' FROM orders o
            WHERE o.product_category = \(rule.productCategory) AND o.status IN ('confirmed', 'completed')
              AND (\(rule.destination)::text IS NULL OR lower(o.destination) = lower(\(rule.destination)))
            ON CONFLICT DO NOTHING
            """
        )
        return true
    }

    /// Deletes the tag and takes it off every customer; `false` when there was none.
    static func delete(_ name: String, on tenant: TenantConnection) async throws -> Bool {
        for try await _ in try await tenant.query("DELETE FROM tags WHERE name = \(name) RETURNING true") {
            return true
        }
        return false
    }

    /// The customer's tags by name.
    static func tags(of customerID: Int64, on tenant: TenantConnection) async throws -> [CustomerTag] {
        let rows = try await tenant.query(
            "SELECT tag, source, added_at FROM customer_tags WHERE customer_id = \(customerID) ORDER BY tag")
        var tags: [CustomerTag] = []
        for try await (tag, source, addedAt) in rows.decode((String, String, Date).self) {
            tags.append(
                CustomerTag(tag: tag, source: CustomerTag.Source(rawValue: source) ?? .manual, addedAt: addedAt))
        }
        return tags
    }

    /// Puts the tag (made if it does not exist) on the customer by hand; a tag a rule gave becomes
    /// the customer's by hand. The customer's tag and whether it is new.
    static func tag(_ customerID: Int64, with name: String, on tenant: TenantConnection) async throws -> (
        CustomerTag, created: Bool
    ) {
        try await tenant.execute("INSERT INTO tags (name) VALUES (\(name)) ON CONFLICT DO NOTHING")
        let rows = try await tenant.query(
            """
            INSERT INTO customer_tags AS ct (customer_id, tag, source) VALUES (\(customerID), \(name), 'manual')
            ON CONFLICT (customer_id, tag) DO UPDATE SET source = 'manual'
            RETURNING ct.tag, ct.added_at, (xmax = 0)
            """
        )
        for try await (tag, addedAt, created) in rows.decode((String, Date, Bool).self) {
            return (CustomerTag(tag: tag, source: .manual, addedAt: addedAt), created)
        }
        throw Problem.internalError(requestID: RequestScope.current?.requestID ?? "unknown")
    }

    /// Takes the tag off the customer; `false` when it was not on.
    static func untag(_ customerID: Int64, _ name: String, on tenant: TenantConnection) async throws -> Bool {
        let rows = try await tenant.query(
            "DELETE FROM customer_tags WHERE customer_id = \(customerID) AND tag = \(name) RETURNING true")
        for try await _ in rows { return true }
        return false
    }
}
