import Foundation
import NIOCore
import PostgresNIO

/// The SQL of bulk imports: checked lines go through `COPY` into staging tables of the import's
/// transaction, and set-based statements merge them into customers, identities and orders.
enum ImportStore {
    /// What a merge did.
    struct Counts: Sendable {
        var accepted = 0
        var customersCreated = 0
        var customersUpdated = 0
        var ordersCreated = 0
        var refused: [ImportLineError] = []
    }

    static let rowColumns = [
        "line", "key", "customer_id", "name", "gender", "birth_year", "region", "city", "language", "attributes",
        "external_id", "amount_minor", "currency", "product_name", "product_category", "product_sku", "destination",
        "channel", "ordered_at_us", "travel_start", "travel_end", "party_size", "status",
    ]

    /// Creates the staging tables, dropped at commit.
    static func stage(on tenant: TenantConnection) async throws {
        try await tenant.execute(
            """
            CREATE TEMP TABLE import_rows (
                line integer PRIMARY KEY, key text NOT NULL, customer_id bigint, name text, gender text,
                birth_year integer, region text, city text, language text, attributes jsonb, external_id text,
                amount_minor bigint, currency text, product_name text, product_category text, product_sku text,
                destination text, channel text, ordered_at_us bigint, travel_start date, travel_end date,
                party_size integer, status text, error text, error_field text
            ) ON COMMIT DROP
            """
        )
        try await tenant.execute(
            "CREATE TEMP TABLE import_identities (line integer, kind text, source text, value text) ON COMMIT DROP")
    }

    /// Appends one checked line to the rows and identities being copied.
    static func write(_ line: ImportLine, rows: inout CopyText, identities: inout CopyText) {
        rows.add(line.number)
        rows.add(line.key)
        rows.add(line.customerID)
        rows.add(line.profile.name)
        rows.add(line.profile.gender?.rawValue)
        rows.add(line.profile.birthYear)
        rows.add(line.profile.region)
        rows.add(line.profile.city)
        rows.add(line.profile.language)
        rows.add(line.profile.attributes)
        let order = line.order
        rows.add(order?.externalID)
        rows.add(order?.amountMinor)
        rows.add(order?.currency)
        rows.add(order?.productName)
        rows.add(order?.productCategory)
        rows.add(order?.productSKU)
        rows.add(order?.destination)
        rows.add(order?.channel)
        rows.add(order.map { $0.orderedAt.epochMicroseconds })
        rows.add(order?.travelStart)
        rows.add(order?.travelEnd)
        rows.add(order?.partySize)
        rows.add(order?.status.rawValue)
        rows.endRow()
        for identity in line.identities {
            identities.add(line.number)
            identities.add(identity.kind.rawValue)
            identities.add(identity.source)
            identities.add(identity.value)
            identities.endRow()
        }
    }

    /// Merges the staged lines. Live writes that add identities wait while this runs, so an import
    /// and a request naming the same new phone cannot make two customers.
    ///
    /// The wide staging rows are written once, by `COPY`, and never updated: each step writes a
    /// narrow table (owners per line, new customers per key, the customer of each accepted line)
    /// that the next joins.
    static func merge(_ kind: ImportKind, on tenant: TenantConnection) async throws -> Counts {
        try await tenant.execute("SELECT set_config('work_mem', '256MB', true)")
        try await tenant.execute("ANALYZE import_rows")
        try await tenant.execute("ANALYZE import_identities")
        try await tenant.execute("LOCK TABLE customer_identities IN SHARE ROW EXCLUSIVE MODE")
        try await tenant.execute(
            """
            UPDATE import_rows r SET error = format('There is no customer %s.', r.customer_id), error_field = 'customer.id'
            WHERE r.customer_id IS NOT NULL
              AND NOT EXISTS (SELECT FROM customers c WHERE c.id = r.customer_id AND c.erased_at IS NULL)
            """
        )
        try await tenant.execute(
            """
            CREATE TEMP TABLE import_owners ON COMMIT DROP AS
            SELECT si.line, min(i.customer_id) AS first, max(i.customer_id) AS last
            FROM import_identities si
            JOIN customer_identities i ON (i.kind, i.source, i.value) = (si.kind, si.source, si.value)
            GROUP BY si.line
            """
        )
        try await tenant.execute(
            """
            UPDATE import_rows r SET
                error = format('The identities of this line belong to customers %s and %s; merge them first.',
                               least(o.first, r.customer_id), greatest(o.last, r.customer_id)),
                error_field = 'customer'
            FROM import_owners o
            WHERE r.line = o.line AND r.error IS NULL AND (o.first <> o.last OR r.customer_id <> o.first)
            """
        )
        // One new customer per key without an owner, with the profile of the key's first line.
        // (Grouping hashes; `DISTINCT ON` would sort the million lines by their text keys.)
        try await tenant.execute(
            """
            CREATE TEMP TABLE import_new ON COMMIT DROP AS
            SELECT key, line, nextval(pg_get_serial_sequence('customers', 'id')) AS id
            FROM (SELECT r.key, min(r.line) AS line FROM import_rows r
                  WHERE r.customer_id IS NULL AND r.error IS NULL
                    AND NOT EXISTS (SELECT FROM import_owners o WHERE o.line = r.line)
                  GROUP BY r.key) first_lines
            """
        )
        var counts = Counts()
        for try await created in try await tenant.query(
            """
            WITH created AS (
                INSERT INTO customers (id, name, gender, birth_year, region, city, language, attributes)
                OVERRIDING SYSTEM VALUE
                SELECT n.id, r.name, r.gender, r.birth_year, r.region, r.city, r.language, coalesce(r.attributes, '{}')
                FROM import_new n JOIN import_rows r ON r.line = n.line
                RETURNING 1
            )
            SELECT count(*)::int FROM created
            """
        ).decode(Int.self) { counts.customersCreated = created }
        try await tenant.execute(
            """
            CREATE TEMP TABLE import_customers ON COMMIT DROP AS
            SELECT r.line, coalesce(r.customer_id, o.first, n.id) AS customer_id
            FROM import_rows r
            LEFT JOIN import_owners o ON o.line = r.line
            LEFT JOIN import_new n ON n.key = r.key AND r.customer_id IS NULL AND o.line IS NULL
            WHERE r.error IS NULL
            """
        )
        try await tenant.execute("ANALYZE import_customers")
        try await tenant.execute(
            """
            INSERT INTO customer_identities (kind, source, value, customer_id)
            SELECT f.kind, f.source, f.value, c.customer_id
            FROM (SELECT si.kind, si.source, si.value, min(si.line) AS line
                  FROM import_identities si JOIN import_customers c ON c.line = si.line
                  GROUP BY si.kind, si.source, si.value) f
            JOIN import_customers c ON c.line = f.line
            ON CONFLICT DO NOTHING
            """
        )
        switch kind {
        case .customers: counts.customersUpdated = try await fillProfiles(on: tenant)
        case .orders: counts.ordersCreated = try await insertOrders(on: tenant)
        }
        let refused = try await tenant.query(
            "SELECT line, error_field, error FROM import_rows WHERE error IS NOT NULL ORDER BY line")
        for try await (line, field, message) in refused.decode((Int, String?, String).self) {
            counts.refused.append(ImportLineError(line: line, field: field, message: message))
        }
        for try await accepted in try await tenant.query("SELECT count(*)::int FROM import_customers").decode(Int.self)
        {
            counts.accepted = accepted
        }
        return counts
    }

    /// Fills profile fields the matched customers lack from their first line in the file; customers
    /// with nothing to fill are not touched.
    static func fillProfiles(on tenant: TenantConnection) async throws -> Int {
        let rows = try await tenant.query(
            """
            WITH first_lines AS (
                SELECT DISTINCT ON (c.customer_id) c.customer_id, r.name, r.gender, r.birth_year, r.region, r.city,
                       r.language, r.attributes
                FROM import_customers c JOIN import_rows r ON r.line = c.line
                WHERE NOT EXISTS (SELECT FROM import_new n WHERE n.id = c.customer_id)
                ORDER BY c.customer_id, c.line
            ), updated AS (
                UPDATE customers c SET
                    name = coalesce(c.name, f.name), gender = coalesce(c.gender, f.gender),
                    birth_year = coalesce(c.birth_year, f.birth_year), region = coalesce(c.region, f.region),
                    city = coalesce(c.city, f.city), language = coalesce(c.language, f.language),
                    attributes = coalesce(f.attributes, '{}') || c.attributes, updated_at = now()
                FROM first_lines f
                WHERE c.id = f.customer_id
                  AND (c.name, c.gender, c.birth_year, c.region, c.city, c.language, c.attributes) IS DISTINCT FROM
                      (coalesce(c.name, f.name), coalesce(c.gender, f.gender), coalesce(c.birth_year, f.birth_year),
                       coalesce(c.region, f.region), coalesce(c.city, f.city), coalesce(c.language, f.language),
                       coalesce(f.attributes, '{}') || c.attributes)
                RETURNING 1
            )
            SELECT count(*)::int FROM updated
            """
        )
        for try await count in rows.decode(Int.self) { return count }
        return 0
    }

    /// Inserts the orders whose external ids are new, adds those that count to their customers' value
    /// figures, and applies tag rules, in one statement.
    static func insertOrders(on tenant: TenantConnection) async throws -> Int {
        let rows = try await tenant.query(
            """
            WITH inserted AS (
                INSERT INTO orders (customer_id, external_id, amount_minor, currency, product_name, product_category,
                                    product_sku, destination, channel, ordered_at, travel_start, travel_end,
                                    party_size, status)
                SELECT c.customer_id, r.external_id, r.amount_minor, r.currency, r.product_name, r.product_category,
                       r.product_sku, r.destination, r.channel,
                       timestamptz 'epoch' + r.ordered_at_us * interval '1 microsecond', r.travel_start, r.travel_end,
                       r.party_size, r.status
                FROM import_rows r JOIN import_customers c ON c.line = r.line
                ON CONFLICT (external_id) DO NOTHING
                RETURNING customer_id, amount_minor, ordered_at, status, product_category, destination
            ), figures AS (
                SELECT customer_id, count(*)::int AS n, sum(amount_minor)::bigint AS total, min(ordered_at) AS first,
                       max(ordered_at) AS last
                FROM inserted WHERE status IN ('confirmed', 'completed') GROUP BY customer_id
            ), counted AS (
                UPDATE customers c SET order_count = c.order_count + f.n,
                    total_spent_minor = c.total_spent_minor + f.total,
                    first_order_at = least(c.first_order_at, f.first), last_order_at = greatest(c.last_order_at, f.last),
                    updated_at = now()
                FROM figures f WHERE c.id = f.customer_id
                RETURNING 1
            ), tagged AS (
                INSERT INTO customer_tags (customer_id, tag, source)
                SELECT DISTINCT o.customer_id, t.name, 'rule' FROM inserted o
                JOIN tags t ON t.rule_product_category = o.product_category
                           AND (t.rule_destination IS NULL OR lower(t.rule_destination) = lower(o.destination))
                WHERE o.status IN ('confirmed', 'completed')
                ON CONFLICT DO NOTHING
                RETURNING 1
            )
            SELECT count(*)::int FROM inserted
            """
        )
        for try await count in rows.decode(Int.self) { return count }
        return 0
    }
}
