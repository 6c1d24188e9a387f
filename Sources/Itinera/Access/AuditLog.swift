public import Foundation
import PostgresNIO

/// One admin change, as recorded in the tenant's append-only `audit_events`.
public struct AuditEvent: Sendable {
    public var actorType: String
    public var actorID: String?
    public var action: String
    public var targetType: String
    public var targetID: String?
    /// JSON documents of the state before and after.
    public var before: Data?
    public var after: Data?

    public init(
        actorType: String,
        actorID: String?,
        action: String,
        targetType: String,
        targetID: String?,
        before: Data?,
        after: Data?
    ) {
        self.actorType = actorType
        self.actorID = actorID
        self.action = action
        self.targetType = targetType
        self.targetID = targetID
        self.before = before
        self.after = after
    }
}

/// The SQL of the audit trail (tenant schema).
public enum AuditLog {
    /// Appends an event in the caller's tenant transaction, with the request id of the change.
    public static func record(_ event: AuditEvent, on tenant: TenantConnection) async throws {
        let before = event.before.map { String(decoding: $0, as: UTF8.self) }
        let after = event.after.map { String(decoding: $0, as: UTF8.self) }
        let requestID = RequestScope.current?.requestID
        try await tenant.execute(
            """
            INSERT INTO audit_events (actor_type, actor_id, action, target_type, target_id, before, after, request_id)
            VALUES (\(event.actorType), \(event.actorID), \(event.action), \(event.targetType), \(event.targetID),
                    \(before)::jsonb, \(after)::jsonb, \(requestID))
            """
        )
    }
}

/// One recorded event, as read back.
public struct RecordedAuditEvent: Sendable {
    public var id: Int64
    public var occurredAt: Date
    public var event: AuditEvent
    public var requestID: String?
}

/// What `GET /v1/audit-events` may filter on; every filter given must hold.
public struct AuditFilter: Sendable {
    public var action: String?
    public var targetType: String?
    public var targetID: String?
    public var actorID: String?
    public var since: Date?
    public var until: Date?
}

extension AuditLog {
    /// One page of events, newest first, after the cursor's event id; one more than `limit` when a
    /// next page exists.
    static func list(filter: AuditFilter, page: PageRequest, on tenant: TenantConnection) async throws
        -> [RecordedAuditEvent]
    {
        var q = QueryBuilder()
        var conditions: [String] = []
        if let after = page.after {
            guard after.count == 1, let id = Int64(after[0]) else {
                throw Problem.badCursor
            }
            conditions.append("id < \(q.bind(id))")
        }
        if let action = filter.action { conditions.append("action = \(q.bind(action))") }
        if let targetType = filter.targetType { conditions.append("target_type = \(q.bind(targetType))") }
        if let targetID = filter.targetID { conditions.append("target_id = \(q.bind(targetID))") }
        if let actorID = filter.actorID { conditions.append("actor_id = \(q.bind(actorID))") }
        if let since = filter.since { conditions.append("occurred_at >= \(q.bind(since))") }
        if let until = filter.until { conditions.append("occurred_at < \(q.bind(until))") }
        q.sql = """
            SELECT id, occurred_at, actor_type, actor_id, action, target_type, target_id, before::text, after::text,
                   request_id
            FROM audit_events \(conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND "))
            ORDER BY id DESC LIMIT \(q.bind(page.limit + 1))
            """
        var events: [RecordedAuditEvent] = []
        let rows = try await tenant.query(q.query)
        for try await c in rows.decode(
            (Int64, Date, String, String?, String, String, String?, String?, String?, String?).self)
        {
            events.append(
                RecordedAuditEvent(
                    id: c.0,
                    occurredAt: c.1,
                    event: AuditEvent(
                        actorType: c.2, actorID: c.3, action: c.4, targetType: c.5, targetID: c.6,
                        before: c.7.map { Data($0.utf8) }, after: c.8.map { Data($0.utf8) }),
                    requestID: c.9
                )
            )
        }
        return events
    }
}
