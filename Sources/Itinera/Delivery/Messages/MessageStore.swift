import Foundation
import PostgresNIO

/// The SQL of messages to customers (tenant schema): queueing one with its job, the worker's view of
/// it, its state as the channel reports it, clicks, and what a merge or an erasure does to them.
enum MessageStore {
    static let columns = """
        m.id, m.customer_id, m.channel, m.purpose, m.template, m.source, m.source_ref, m.address, m.subject,
        m.body, m.links, m.state, m.state_reason, m.created_at, m.sent_at, m.delivered_at, m.bounced_at,
        m.first_click_at, m.clicks
        """

    static func message(from row: PQRow, at offset: Int = 0) throws -> Message {
        func column<Value: PostgresDecodable>(_ index: Int, _ type: Value.Type) throws -> Value {
            try row[offset + index].decode(Value.self)
        }
        return Message(
            id: try column(0, Int64.self), customerID: try column(1, Int64.self), channel: try column(2, String.self),
            purpose: try column(3, String.self), template: try column(4, String?.self),
            source: try column(5, String.self), sourceRef: try column(6, String?.self),
            address: try column(7, String?.self), subject: try column(8, String?.self),
            body: try column(9, String?.self), links: try column(10, [String].self), state: try column(11, String.self),
            stateReason: try column(12, String?.self), createdAt: try column(13, Date.self),
            sentAt: try column(14, Date?.self), deliveredAt: try column(15, Date?.self),
            bouncedAt: try column(16, Date?.self), firstClickAt: try column(17, Date?.self),
            clicks: try column(18, Int.self))
    }

    /// Why a message could not be queued.
    enum Refusal: Error, Equatable {
        /// No such customer, or erased.
        case noCustomer
        /// No consent on record for the channel and purpose (`withdrawn`: one that says no).
        case noConsent(withdrawn: Bool)
        /// The customer has no address on the channel.
        case noAddress
    }

    /// Queues `draft` with the job that sends it, in one statement that checks, under the customer's
    /// row lock, that the customer exists, has consented to the channel and purpose, and has an
    /// address on the channel.
    static func queue(_ draft: MessageDraft, attempts: Int, on tenant: TenantConnection) async throws
        -> Result<Message, Refusal>
    {
        let identity = Message.identity(for: draft.channel)
        let rows = try await tenant.query(
            """
            WITH c AS (
                SELECT c.id,
                       (SELECT k.granted FROM consents k
                        WHERE k.customer_id = c.id AND k.channel = \(draft.channel) AND k.purpose = \(draft.purpose))
                           AS consented,
                       (SELECT i.value FROM customer_identities i
                        WHERE i.customer_id = c.id AND i.kind = \(identity.kind)
                          AND (\(identity.source)::text IS NULL OR i.source = \(identity.source))
                        ORDER BY i.created_at, i.value LIMIT 1) AS address
                FROM customers c WHERE c.id = \(draft.customerID) AND c.erased_at IS NULL FOR SHARE
            ), m AS (
                INSERT INTO messages (customer_id, channel, purpose, template, source, source_ref, address, subject,
                                      body, links)
                SELECT c.id, \(draft.channel), \(draft.purpose), \(draft.template), \(draft.source), \(draft.sourceRef),
                       c.address, \(draft.subject), \(draft.body), \(draft.links)::text[]
                FROM c WHERE c.consented AND c.address IS NOT NULL
                RETURNING *
            ), j AS (
                INSERT INTO itinera.jobs (id, tenant_id, kind, payload, max_attempts, created_by, state)
                SELECT gen_random_uuid(), \(tenant.tenant.id), \(MessageSendJob.kind),
                       jsonb_build_object('message', m.id), \(attempts), 'messages', 'queued'
                FROM m
            )
            SELECT c.consented, c.address IS NOT NULL, \(unescaped: columns)
            FROM c LEFT JOIN m ON true
            """
        )
        guard let row = rows.first else { return .failure(.noCustomer) }
        let consented = try row[0].decode(Bool?.self)
        let hasAddress = try row[1].decode(Bool.self)
        guard consented == true else { return .failure(.noConsent(withdrawn: consented == false)) }
        guard hasAddress else { return .failure(.noAddress) }
        return .success(try message(from: row, at: 2))
    }

    static func find(_ id: Int64, on tenant: TenantConnection) async throws -> Message? {
        try await tenant.query("SELECT \(unescaped: columns) FROM messages m WHERE m.id = \(id)").first.map {
            try message(from: $0)
        }
    }

    /// Messages newest first, of one customer or all, in one state or any, `limit` after `after`.
    static func list(
        customer: Int64?, state: String?, after: (micros: Int64, id: Int64)?, limit: Int, on tenant: TenantConnection
    ) async throws -> [Message] {
        try await tenant.query(
            """
            SELECT \(unescaped: columns) FROM messages m
            WHERE (\(customer)::bigint IS NULL OR m.customer_id = \(customer))
              AND (\(state)::text IS NULL OR m.state = \(state))
              AND (\(after?.micros)::bigint IS NULL
                   OR (m.created_at, m.id)
                      < (timestamptz 'epoch' + \(after?.micros) * interval '1 microsecond', \(after?.id)::bigint))
            ORDER BY m.created_at DESC, m.id DESC LIMIT \(limit)
            """
        ).collect().map { try message(from: $0) }
    }

    /// The message as its job sends it, and whether the customer's consent for its channel and
    /// purpose still stands.
    static func dispatch(_ id: Int64, on tenant: TenantConnection) async throws -> (Message, consented: Bool)? {
        let rows = try await tenant.query(
            """
            SELECT coalesce((SELECT k.granted FROM consents k
                             WHERE k.customer_id = m.customer_id AND k.channel = m.channel AND k.purpose = m.purpose),
                            false),
                   \(unescaped: columns)
            FROM messages m WHERE m.id = \(id)
            """)
        guard let row = rows.first else { return nil }
        return (try message(from: row, at: 1), try row[0].decode(Bool.self))
    }

    /// Moves the message to `state` when the move is one its history allows (a report about a
    /// message that has moved on is ignored), and appends `message.<state>` to the outbox. Answers
    /// the message after the move, or nil when nothing moved.
    @discardableResult
    static func move(
        _ id: Int64, to state: String, reason: String?, attempts: Int, at time: Date = Date(),
        on tenant: TenantConnection
    ) async throws -> Message? {
        let from: [String] =
            switch state {
            case "sent", "suppressed": ["queued"]
            case "delivered", "bounced": ["queued", "sent"]
            default: ["queued", "sent"]
            }
        let rows = try await tenant.query(
            """
            UPDATE messages m SET state = \(state), state_reason = left(\(reason), 500), updated_at = now(),
                sent_at = CASE WHEN \(state) IN ('sent', 'delivered') THEN coalesce(sent_at, \(time)) ELSE sent_at END,
                delivered_at = CASE WHEN \(state) = 'delivered' THEN \(time) ELSE delivered_at END,
                bounced_at = CASE WHEN \(state) = 'bounced' THEN \(time) ELSE bounced_at END
            WHERE m.id = \(id) AND m.state = ANY (\(from)::text[])
            RETURNING \(unescaped: columns)
            """)
        guard let row = rows.first else { return nil }
        let message = try message(from: row)
        try append("message.\(state)", message, on: tenant, attempts: attempts)
        return message
    }

    /// Counts a click on the message's link `index` and answers where it leads; the first click
    /// appends `message.clicked`. Nil when there is no such message or link.
    static func click(_ id: Int64, index: Int, attempts: Int, on tenant: TenantConnection) async throws -> String? {
        let rows = try await tenant.query(
            """
            UPDATE messages m SET clicks = clicks + 1, first_click_at = coalesce(first_click_at, now()),
                updated_at = now()
            WHERE m.id = \(id) AND cardinality(m.links) > \(index)
            RETURNING m.links[\(index + 1)::int], m.clicks = 1, \(unescaped: columns)
            """)
        guard let row = rows.first else { return nil }
        let link = try row[0].decode(String.self)
        if try row[1].decode(Bool.self) {
            try append("message.clicked", try message(from: row, at: 2), on: tenant, attempts: attempts)
        }
        return link
    }

    /// Whom a message's unsubscribe link is about: the customer, the channel, and whether their
    /// marketing consent on it stands (not for an erased customer).
    static func unsubscribeTarget(_ id: Int64, on tenant: TenantConnection) async throws
        -> (customer: Int64, channel: String, consented: Bool)?
    {
        try await tenant.query(
            """
            SELECT m.customer_id, m.channel, coalesce(k.granted, false) AND c.erased_at IS NULL
            FROM messages m JOIN customers c ON c.id = m.customer_id
                 LEFT JOIN consents k
                        ON k.customer_id = m.customer_id AND k.channel = m.channel AND k.purpose = 'marketing'
            WHERE m.id = \(id)
            """
        ).first.map { try $0.decode((Int64, String, Bool).self) }.map { ($0.0, $0.1, $0.2) }
    }

    /// A merge moves the merged customer's messages to the survivor.
    static func move(customer merged: Int64, to survivor: Int64, on tenant: TenantConnection) async throws {
        try await tenant.execute("UPDATE messages SET customer_id = \(survivor) WHERE customer_id = \(merged)")
    }

    /// An erasure removes what the messages said and where they went; what was sent when stays.
    static func erase(customer: Int64, on tenant: TenantConnection) async throws {
        try await tenant.execute(
            """
            UPDATE messages SET address = NULL, subject = NULL, body = NULL, links = '{}', updated_at = now()
            WHERE customer_id = \(customer)
            """)
    }

    private static func append(_ type: String, _ message: Message, on tenant: TenantConnection, attempts: Int) throws {
        let data = try OutboxEvent.object([
            "message_id": String(message.id), "customer_id": String(message.customerID), "channel": message.channel,
            "purpose": message.purpose, "template": message.template, "source": message.source,
            "source_ref": message.sourceRef, "state": message.state, "reason": message.stateReason,
        ])
        try OutboxStore.append(
            [
                OutboxEvent(
                    type: type, entityType: "message", entityID: String(message.id),
                    orderingKey: OutboxEvent.customerKey(message.customerID), data: data)
            ], tenant: tenant.tenant.id, maxAttempts: attempts, on: tenant)
    }
}
