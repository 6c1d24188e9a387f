import Foundation
import PostgresNIO

/// The SQL of interactions and of the timeline that gathers every kind of event (tenant schema).
enum InteractionStore {
    static func insert(
        customerID: Int64,
        type: String,
        channel: String?,
        occurredAt: Date,
        attributes: String,
        on tenant: TenantConnection
    ) async throws -> Interaction {
        let rows = try await tenant.query(
            """
            INSERT INTO interactions (customer_id, type, channel, occurred_at, attributes)
            VALUES (\(customerID), \(type), \(channel), \(occurredAt), \(attributes)::jsonb)
            RETURNING id, created_at
            """
        )
        for try await (id, _) in rows.decode((Int64, Date).self) {
            return Interaction(
                id: id, customerID: customerID, type: type, channel: channel, occurredAt: occurredAt,
                attributes: attributes)
        }
        throw Problem.internalError(requestID: RequestScope.current?.requestID ?? "unknown")
    }

    /// One page of the customer's timeline, newest first; ties in time are broken by kind and id so
    /// the cursor never skips or repeats an event.
    static func timeline(of customerID: Int64, page: PageRequest, on tenant: TenantConnection) async throws
        -> [TimelineEvent]
    {
        var after: (micros: Int64, kind: String, id: Int64)?
        if let keys = page.after {
            guard keys.count == 3, let micros = Int64(keys[0]), let id = Int64(keys[2]) else { throw Problem.badCursor }
            after = (micros, keys[1], id)
        }
        let rows = try await tenant.query(
            """
            SELECT kind, id, occurred_at, data::text FROM timeline_events
            WHERE customer_id = \(customerID)
              AND (\(after?.micros)::bigint IS NULL
                   OR (occurred_at, kind, id)
                      < (timestamptz 'epoch' + \(after?.micros) * interval '1 microsecond', \(after?.kind)::text,
                         \(after?.id)::bigint))
            ORDER BY occurred_at DESC, kind DESC, id DESC
            LIMIT \(page.limit + 1)
            """
        )
        var events: [TimelineEvent] = []
        for try await (kind, id, occurredAt, data) in rows.decode((String, Int64, Date, String).self) {
            events.append(TimelineEvent(kind: kind, id: id, occurredAt: occurredAt, data: data))
        }
        return events
    }
}
