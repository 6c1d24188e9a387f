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
        // One event (nearly every change) goes through `outbox_append`, which writes deliveries only
        // when an endpoint wants the event; several (a bulk re-evaluation's tier changes) in one
        // statement.
        if events.count == 1, let event = events.first {
            connection.connection.sendWithNext(
                try appendOneStatement
                    .binding(event.id).binding(event.type).binding(event.entityType).binding(event.entityID)
                    .binding(event.orderingKey).binding(event.data).binding(tenant).binding(maxAttempts))
            return
        }
        let statement =
            try appendStatement
            .binding(events.map(\.id)).binding(events.map(\.type)).binding(events.map(\.entityType))
            .binding(events.map(\.entityID)).binding(events.map(\.orderingKey)).binding(events.map(\.data))
            .binding(tenant).binding(maxAttempts)
        connection.connection.sendWithNext(statement)
    }

    /// One event through `outbox_append` (its SQL is in the tenant migration that made the outbox).
    private static let appendOneStatement = PQStatement(
        prepared: "SELECT outbox_append($1, $2, $3, $4, $5, \(OutboxEvent.schemaVersion), $6, $7, $8::int)")

    private static let appendStatement = PQStatement(
        prepared: """
            WITH e AS (
                INSERT INTO outbox_events (id, type, entity_type, entity_id, ordering_key, schema_version, data)
                SELECT u.id, u.type, u.entity_type, u.entity_id, u.ordering_key, \(OutboxEvent.schemaVersion),
                       u.data::json
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

    /// Deletes up to `limit` of the oldest events written before `before`, with their deliveries;
    /// answers how many.
    static func prune(before: Date, limit: Int, on tenant: TenantConnection) async throws -> Int {
        try await tenant.query(
            """
            DELETE FROM outbox_events WHERE id IN (
                SELECT id FROM outbox_events WHERE occurred_at < \(before) ORDER BY position LIMIT \(limit))
            """
        ).affected
    }
}
