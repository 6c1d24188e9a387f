import Foundation
import PostgresNIO

/// The SQL of message templates and of the variables they are rendered with (tenant schema).
enum MessageTemplateStore {
    static let columns = "t.name, t.channel, t.purpose, t.subject, t.body, t.created_at, t.updated_at"

    static func template(from row: PQRow) throws -> MessageTemplate {
        let (name, channel, purpose, subject, body, created, updated) = try row.decode(
            (String, String, String, String?, String, Date, Date).self)
        return MessageTemplate(
            name: name, channel: channel, purpose: purpose, subject: subject, body: body, createdAt: created,
            updatedAt: updated)
    }

    static func list(after: String?, limit: Int, on tenant: TenantConnection) async throws -> [MessageTemplate] {
        try await tenant.query(
            """
            SELECT \(unescaped: columns) FROM message_templates t
            WHERE \(after)::text IS NULL OR t.name > \(after) ORDER BY t.name LIMIT \(limit)
            """
        ).collect().map(template(from:))
    }

    /// The template, locked for a change when `lock` is set.
    static func find(_ name: String, lock: Bool = false, on tenant: TenantConnection) async throws -> MessageTemplate? {
        try await tenant.query(
            """
            SELECT \(unescaped: columns) FROM message_templates t WHERE t.name = \(name)
            \(unescaped: lock ? "FOR UPDATE" : "")
            """
        ).first.map(template(from:))
    }

    static func count(on tenant: TenantConnection) async throws -> Int {
        try await tenant.query("SELECT count(*)::int FROM message_templates").first?.decode(Int.self) ?? 0
    }

    /// Creates or replaces the template; answers it as stored.
    static func save(_ template: MessageTemplate, on tenant: TenantConnection) async throws -> MessageTemplate {
        let rows = try await tenant.query(
            """
            INSERT INTO message_templates AS t (name, channel, purpose, subject, body)
            VALUES (\(template.name), \(template.channel), \(template.purpose), \(template.subject), \(template.body))
            ON CONFLICT (name) DO UPDATE SET channel = excluded.channel, purpose = excluded.purpose,
                subject = excluded.subject, body = excluded.body, updated_at = now()
            RETURNING \(unescaped: columns)
            """)
        guard let row = rows.first else {
            throw Problem.internalError(requestID: RequestScope.current?.requestID ?? "unknown")
        }
        return try Self.template(from: row)
    }

    static func delete(_ name: String, on tenant: TenantConnection) async throws -> Bool {
        try await tenant.query("DELETE FROM message_templates WHERE name = \(name) RETURNING 1").count == 1
    }

    /// What a message to `customer` about `order` is rendered with: `customer` (id, name, first
    /// name, e-mail, phone, city), `order` and `trip` (order id, destination, travel dates, product),
    /// and with `offer` the customer's code of that offer (`code`, `name`, `benefit`, `valid_until`),
    /// as JSON; nil when the customer is not there (or erased). An order of another customer is not
    /// read.
    static func variables(customer: Int64, order: Int64?, offer: Int64? = nil, on tenant: TenantConnection)
        async throws -> String?
    {
        try await tenant.query(
            """
            SELECT jsonb_build_object(
                'customer', jsonb_build_object(
                    'id', c.id::text, 'name', c.name, 'first_name', split_part(coalesce(c.name, ''), ' ', 1),
                    'city', c.city,
                    'email', (SELECT i.value FROM customer_identities i
                              WHERE i.customer_id = c.id AND i.kind = 'email' ORDER BY i.created_at LIMIT 1),
                    'phone', (SELECT i.value FROM customer_identities i
                              WHERE i.customer_id = c.id AND i.kind = 'phone' ORDER BY i.created_at LIMIT 1)),
                'order', CASE WHEN o.id IS NOT NULL THEN jsonb_build_object(
                              'id', o.id::text, 'product', o.product_name, 'destination', o.destination,
                              'amount', trim(to_char(o.amount_minor / 100.0, 'FM999999999990.00')) || ' ' || o.currency,
                              'travel_start', o.travel_start::text, 'travel_end', o.travel_end::text) END,
                'trip', CASE WHEN o.id IS NOT NULL THEN jsonb_build_object(
                             'order_id', o.id::text, 'destination', o.destination, 'start', o.travel_start::text,
                             'end', o.travel_end::text) END,
                'offer', (SELECT jsonb_build_object('code', coalesce(oc.code, f.code), 'name', f.name,
                                                    'benefit', f.benefit, 'valid_until', f.valid_until::date::text)
                          FROM offers f LEFT JOIN offer_codes oc ON oc.offer_id = f.id AND oc.customer_id = c.id
                          WHERE f.id = \(offer))
            )::text
            FROM customers c
            LEFT JOIN orders o ON o.id = \(order) AND o.customer_id = c.id
            WHERE c.id = \(customer) AND c.erased_at IS NULL
            """
        ).first?.decode(String.self)
    }
}
