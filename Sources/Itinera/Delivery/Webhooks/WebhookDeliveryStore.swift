import Foundation
import PostgresNIO

/// One event for one endpoint, and how sending it went.
struct WebhookDelivery: Sendable, Equatable {
    var id: UUID
    var endpointID: UUID
    var eventID: UUID
    var eventType: String
    var state: String
    var attempts: Int
    var lastStatus: Int?
    var lastError: String?
    var lastAttemptAt: Date?
    var nextAttemptAt: Date?
    var deliveredAt: Date?
    var replayOf: UUID?
    var createdAt: Date
}

/// What sending one delivery needs: the event, the endpoint's address and its secrets.
struct WebhookDispatch: Sendable {
    var deliveryState: String
    var endpointID: UUID
    var endpointState: String
    var url: String
    var secrets: [WebhookSecret]
    var eventID: UUID
    var body: String
}

/// The SQL of deliveries (tenant schema). New deliveries queue their job in `itinera.jobs` in the
/// same statement, under the ordering key the outbox gave the event (`OutboxStore`).
enum WebhookDeliveryStore {
    /// The statement that queues a job for each new delivery in the CTE `d` (`id`, `endpoint_id`,
    /// `event_id`) of the events in `events` (`id`, `ordering_key`, `position`), under the key
    /// `<endpoint>/<event's ordering key>`: the first of a key is `queued` unless a job of that key has
    /// not ended yet, the others `waiting` behind it. `tenant`, `attempts` and `source` are SQL
    /// expressions written by the caller (a parameter, or a column of a `params` CTE).
    static func queueJobs(events: String, tenant: String, attempts: String, source: String) -> String {
        """
        INSERT INTO itinera.jobs (id, tenant_id, kind, payload, ordering_key, max_attempts, created_by, state)
        SELECT d.id, \(tenant), 'webhook.deliver', jsonb_build_object('delivery', d.id), k.key, \(attempts),
               \(source),
               CASE WHEN row_number() OVER (PARTITION BY k.key ORDER BY e.position) = 1
                         AND NOT itinera.job_key_busy(\(tenant), k.key)
                    THEN 'queued' ELSE 'waiting' END
        FROM d JOIN \(events) e ON e.id = d.event_id
             CROSS JOIN LATERAL (SELECT d.endpoint_id::text || '/' || e.ordering_key AS key) k
        ORDER BY e.position
        """
    }

    static let columns = """
        d.id, d.endpoint_id, d.event_id, e.type, d.state, d.attempts, d.last_status, d.last_error,
        d.last_attempt_at, d.next_attempt_at, d.delivered_at, d.replay_of, d.created_at
        """

    static func delivery(from row: PQRow) throws -> WebhookDelivery {
        let (id, endpoint, event, type, state, attempts, status, error, last, next, delivered, replayOf, created) =
            try row.decode(
                (UUID, UUID, UUID, String, String, Int, Int?, String?, Date?, Date?, Date?, UUID?, Date).self)
        return WebhookDelivery(
            id: id, endpointID: endpoint, eventID: event, eventType: type, state: state, attempts: attempts,
            lastStatus: status, lastError: error, lastAttemptAt: last, nextAttemptAt: next, deliveredAt: delivered,
            replayOf: replayOf, createdAt: created)
    }

    /// The endpoint's deliveries, newest first, `limit` of them after `after`.
    static func list(
        endpoint: UUID, state: String?, after: (micros: Int64, id: UUID)?, limit: Int, on tenant: TenantConnection
    ) async throws -> [WebhookDelivery] {
        let rows = try await tenant.query(
            """
            SELECT \(unescaped: columns) FROM webhook_deliveries d JOIN outbox_events e ON e.id = d.event_id
            WHERE d.endpoint_id = \(endpoint) AND (\(state)::text IS NULL OR d.state = \(state))
              AND (\(after?.micros)::bigint IS NULL
                   OR (d.created_at, d.id)
                      < (timestamptz 'epoch' + \(after?.micros) * interval '1 microsecond', \(after?.id)))
            ORDER BY d.created_at DESC, d.id DESC LIMIT \(limit)
            """)
        return try rows.collect().map(delivery(from:))
    }

    /// A new delivery of the event delivery `id` carried, to the same endpoint, and its job; nil when
    /// the endpoint has no such delivery.
    static func replay(_ id: UUID, endpoint: UUID, tenantID: UUID, maxAttempts: Int, on tenant: TenantConnection)
        async throws -> WebhookDelivery?
    {
        let rows = try await tenant.query(
            """
            WITH params AS (SELECT \(tenantID)::uuid AS tenant, \(maxAttempts)::int AS attempts),
            d AS (
                INSERT INTO webhook_deliveries (id, endpoint_id, event_id, replay_of)
                SELECT gen_random_uuid(), o.endpoint_id, o.event_id, o.id
                FROM webhook_deliveries o WHERE o.id = \(id) AND o.endpoint_id = \(endpoint)
                RETURNING *
            ), j AS (
                \(unescaped: queueJobs(
                    events: "outbox_events", tenant: "(SELECT tenant FROM params)",
                    attempts: "(SELECT attempts FROM params)", source: "'replay'"))
            )
            SELECT \(unescaped: columns) FROM d JOIN outbox_events e ON e.id = d.event_id
            """)
        return try rows.first.map(delivery(from:))
    }

    /// New deliveries to `endpoint` of every event of its types written in [since, until), in the
    /// order they were written, with their jobs, when there are at most `limit` of them; answers how
    /// many events the range holds (counted up to `limit + 1`) and how many were queued (none when
    /// the range holds more than `limit`).
    static func replay(
        endpoint: WebhookEndpoint, since: Date, until: Date, limit: Int, tenantID: UUID, maxAttempts: Int,
        on tenant: TenantConnection
    ) async throws -> (found: Int, queued: Int) {
        let rows = try await tenant.query(
            """
            WITH params AS (SELECT \(tenantID)::uuid AS tenant, \(maxAttempts)::int AS attempts),
            chosen AS (
                SELECT e.id, e.ordering_key, e.position FROM outbox_events e
                WHERE e.occurred_at >= \(since) AND e.occurred_at < \(until)
                  AND (cardinality(\(endpoint.eventTypes)::text[]) = 0 OR e.type = ANY (\(endpoint.eventTypes)))
                ORDER BY e.position LIMIT \(limit + 1)
            ), d AS (
                INSERT INTO webhook_deliveries (id, endpoint_id, event_id)
                SELECT gen_random_uuid(), \(endpoint.id), c.id FROM chosen c
                WHERE (SELECT count(*) FROM chosen) <= \(limit)
                ORDER BY c.position
                RETURNING id, endpoint_id, event_id
            ), jobs AS (
                \(unescaped: queueJobs(
                    events: "chosen", tenant: "(SELECT tenant FROM params)", attempts: "(SELECT attempts FROM params)",
                    source: "'replay'"))
                RETURNING 1
            )
            SELECT (SELECT count(*)::int FROM chosen), (SELECT count(*)::int FROM jobs)
            """)
        return try rows.first?.decode((Int, Int).self) ?? (0, 0)
    }

    /// What sending delivery `id` needs; nil when it (or its endpoint) is gone.
    static func dispatch(_ id: UUID, on tenant: TenantConnection) async throws -> WebhookDispatch? {
        let rows = try await tenant.query(
            """
            SELECT d.state, w.id, w.state, w.url, w.secret,
                   CASE WHEN w.previous_secret_expires_at > now() THEN w.previous_secret END,
                   e.id, e.type, e.occurred_at, e.schema_version, e.entity_type, e.entity_id, e.data::text
            FROM webhook_deliveries d JOIN webhook_endpoints w ON w.id = d.endpoint_id
            JOIN outbox_events e ON e.id = d.event_id
            WHERE d.id = \(id)
            """)
        guard let row = rows.first else { return nil }
        let (state, endpoint, endpointState, url, secret, previous) = try row.decode(
            (String, UUID, String, String, String, String?).self)
        let (eventID, type, occurredAt, version, entityType, entityID, data) = try (
            row[6].decode(UUID.self), row[7].decode(String.self), row[8].decode(Date.self), row[9].decode(Int.self),
            row[10].decode(String.self), row[11].decode(String.self), row[12].decode(String.self)
        )
        return WebhookDispatch(
            deliveryState: state, endpointID: endpoint, endpointState: endpointState, url: url,
            secrets: [WebhookSecret(text: secret)] + (previous.map { [WebhookSecret(text: $0)] } ?? []),
            eventID: eventID,
            body: OutboxEvent.body(
                id: eventID, type: type, occurredAt: occurredAt, schemaVersion: version, entityType: entityType,
                entityID: entityID, data: data))
    }

    /// Records one attempt: `state` is `delivered`, `pending` (another attempt `retryIn` after this
    /// one, by the database's clock, as the attempt's own time is) or `failed`.
    /// A success clears the endpoint's failure record; a failure starts it. Answers since when the
    /// endpoint has failed every delivery (nil once one succeeded).
    static func recordAttempt(
        _ id: UUID, endpoint: UUID, state: String, status: Int?, error: String?, retryIn: Duration?,
        on tenant: TenantConnection
    ) async throws -> Date? {
        let rows = try await tenant.query(
            """
            WITH d AS (
                UPDATE webhook_deliveries SET state = \(state), attempts = attempts + 1, last_status = \(status),
                    last_error = \(error), last_attempt_at = now(),
                    next_attempt_at = now() + \(retryIn?.milliseconds)::float8 * interval '1 millisecond',
                    delivered_at = CASE WHEN \(state) = 'delivered' THEN now() END
                WHERE id = \(id)
            )
            UPDATE webhook_endpoints SET
                failing_since = CASE WHEN \(state) = 'delivered' THEN NULL ELSE coalesce(failing_since, now()) END
            WHERE id = \(endpoint)
            RETURNING failing_since
            """)
        return try rows.first?.decode(Date?.self) ?? nil
    }

    /// Marks a delivery that will not be sent (its endpoint is disabled) as failed.
    static func abandon(_ id: UUID, reason: String, on tenant: TenantConnection) async throws {
        try await tenant.execute(
            """
            UPDATE webhook_deliveries SET state = 'failed', last_error = \(reason), next_attempt_at = NULL
            WHERE id = \(id) AND state = 'pending'
            """)
    }
}
