public import Foundation

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
