public import Foundation
import PostgresNIO

/// Who is calling a tenant operation, as authenticated inside the request's transaction.
public struct Principal: Sendable {
    public enum Actor: Sendable, Equatable {
        case user(id: UUID, role: TenantUser.Role)
        case apiKey(id: UUID, scopes: Set<APIScope>)
    }

    public let actor: Actor
    public let tenant: Tenant

    /// The signed-in user's role; `nil` for an API key.
    public var role: TenantUser.Role? {
        if case .user(_, let role) = actor { role } else { nil }
    }

    /// How the audit trail names this caller.
    var auditActor: (type: String, id: String) {
        switch actor {
        case .user(let id, _): ("user", id.uuidString.lowercased())
        case .apiKey(let id, _): ("api_key", id.uuidString.lowercased())
        }
    }

    /// An audit event by this caller.
    func auditEvent(action: String, targetType: String, targetID: String?, before: Data?, after: Data?)
        -> AuditEvent
    {
        AuditEvent(
            actorType: auditActor.type,
            actorID: auditActor.id,
            action: action,
            targetType: targetType,
            targetID: targetID,
            before: before,
            after: after
        )
    }
}
