import Foundation
import PostgresNIO

/// The SQL of the outbox (tenant schema): appending events with their webhook deliveries, and
/// reading them back for a replay.
enum OutboxStore {
    /// Appends `events` and, for each enabled endpoint that wants an event's type, a delivery and the
    /// job that sends it (`itinera.jobs`, which a tenant role may insert its own deliveries into),
    /// in one statement sent with the transaction's next flush: appending costs the change no round
    /// trip of its own, and commits or rolls back with it.
    static func append(_ events: [OutboxEvent], tenant: UUID, maxAttempts: Int, on connection: TenantConnection)
        throws
    {
        guard !events.isEmpty else { return }
        let statement =
            try appendStatement
            .binding(events.map(\.id)).binding(events.map(\.type)).binding(events.map(\.entityType))
            .binding(events.map(\.entityID)).binding(events.map(\.orderingKey)).binding(events.map(\.data))
            .binding(tenant).binding(maxAttempts)
        connection.connection.sendWithNext(statement)
    }

    private static let appendStatement = PQStatement(
        prepared: """
            WITH e AS (
                INSERT INTO outbox_events (id, type, entity_type, entity_id, ordering_key, schema_version, data)
                SELECT u.id, u.type, u.entity_type, u.entity_id, u.ordering_key, \(OutboxEvent.schemaVersion),
                       u.data::jsonb
                FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
                     WITH ORDINALITY AS u(id, type, entity_type, entity_id, ordering_key, data, n)
                ORDER BY u.n
                RETURNING id, type, ordering_key, position
            ), d AS (
                INSERT INTO webhook_deliveries (id, endpoint_id, event_id)
                SELECT gen_random_uuid(), w.id, e.id
                FROM e JOIN webhook_endpoints w
                  ON w.state = 'enabled' AND (w.event_types = '{}' OR e.type = ANY (w.event_types))
                RETURNING id, endpoint_id, event_id
            )
            \(WebhookDeliveryStore.queueJobs(events: "e", tenant: "$7::uuid", attempts: "$8", source: "'outbox'"))
            """)
}
