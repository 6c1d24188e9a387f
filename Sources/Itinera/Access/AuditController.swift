import Foundation
import ItineraAPI
import Logging
import OpenAPIRuntime

/// The tenant's audit trail: `GET /v1/audit-events`.
struct AuditController: Sendable {
    let access: AccessControl
    let logger: Logger

    func listAuditEvents(_ input: Operations.ListAuditEvents.Input) async throws
        -> Operations.ListAuditEvents.Output
    {
        let query = input.query
        let page = try PageRequest(limit: query.limit, cursor: query.cursor)
        for (field, value) in [
            ("action", query.action), ("target_type", query.targetType), ("target_id", query.targetId),
            ("actor_id", query.actorId),
        ] {
            if let value, value.isEmpty || value.unicodeScalars.count > 200 {
                throw Problem.invalidField(field, "\(field) must be 1–200 characters.")
            }
        }
        let filter = AuditFilter(
            action: query.action, targetType: query.targetType, targetID: query.targetId, actorID: query.actorId,
            since: query.since, until: query.until)
        let events = try await access.inTenant { tenant, _ in
            try await AuditLog.list(filter: filter, page: page, on: tenant)
        }
        let shown = events.prefix(page.limit)
        return .ok(
            .init(
                body: .json(
                    .init(
                        items: try shown.map(Self.api),
                        nextCursor: events.count > page.limit ? PageRequest.cursor([String(shown.last!.id)]) : nil
                    )
                )
            )
        )
    }

    static func api(_ recorded: RecordedAuditEvent) throws -> Components.Schemas.AuditEvent {
        let event = recorded.event
        func document(_ data: Data?) throws -> Components.Schemas.AuditEvent.BeforePayload? {
            guard let data else { return nil }
            return .init(additionalProperties: try JSONDecoder().decode(OpenAPIObjectContainer.self, from: data))
        }
        return Components.Schemas.AuditEvent(
            id: String(recorded.id),
            occurredAt: recorded.occurredAt,
            actorType: Components.Schemas.AuditEvent.ActorTypePayload(rawValue: event.actorType) ?? .system,
            actorId: event.actorID,
            action: event.action,
            targetType: event.targetType,
            targetId: event.targetID,
            before: try document(event.before),
            after: try document(event.after).map { .init(additionalProperties: $0.additionalProperties) },
            requestId: recorded.requestID
        )
    }
}
