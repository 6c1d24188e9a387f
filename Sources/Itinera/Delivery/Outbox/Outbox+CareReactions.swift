import Foundation

/// The outbox's reactions to care's domain events (`docs/webhooks.md` lists their data).
extension Outbox {
    static func reactToCare(
        _ events: inout DomainEvents, append: @escaping @Sendable ([OutboxEvent], EventContext) throws -> Void
    ) {
        events.on(ComplaintOpened.self) { event, context in
            try append([try complaint("complaint.opened", event.complaint, extra: nil, nil)], context)
        }
        events.on(ComplaintChanged.self) { event, context in
            try append(
                [try complaint("complaint.state_changed", event.complaint, extra: "from", event.from.rawValue)],
                context)
        }
        events.on(ComplaintBreached.self) { event, context in
            try append([try complaint("complaint.sla_breached", event.complaint, extra: "breach", event.kind)], context)
        }
        events.on(NPSAnswered.self) { event, context in
            let r = event.response
            try append(
                [
                    OutboxEvent(
                        type: "nps.answered", entityType: "customer", entityID: String(r.customerID),
                        orderingKey: OutboxEvent.customerKey(r.customerID),
                        data: try OutboxEvent.object([
                            "response_id": String(r.id), "customer_id": String(r.customerID),
                            "order_id": r.orderID.map(String.init), "score": r.score, "stage": r.stage,
                            "source": r.source, "complaint_id": r.complaintID.map(String.init),
                        ]))
                ], context)
        }
        events.on(RiskAlertChanged.self) { event, context in
            let alert = event.alert
            let report = event.report
            try append(
                [
                    OutboxEvent(
                        type: "risk_alert.\(event.action)", entityType: "risk_alert", entityID: String(alert.id),
                        orderingKey: "risk_alert:\(alert.id)",
                        data: try OutboxEvent.object([
                            "risk_alert_id": String(alert.id), "destination": alert.destination,
                            "starts_at": alert.startsAt.formatted(.iso8601),
                            "ends_at": alert.endsAt.formatted(.iso8601),
                            "severity": alert.severity, "bookings": alert.bookings, "reached": report?.reached,
                            "reached_48h": report?.reachedInTime,
                            "unreachable": report.map { $0.unreachable.values.reduce(0, +) },
                        ]))
                ], context)
        }
    }

    private static func complaint(_ type: String, _ c: Complaint, extra key: String?, _ value: String?) throws
        -> OutboxEvent
    {
        OutboxEvent(
            type: type, entityType: "complaint", entityID: String(c.id),
            orderingKey: OutboxEvent.customerKey(c.customerID),
            data: try OutboxEvent.object([
                "complaint_id": String(c.id), "customer_id": String(c.customerID),
                "order_id": c.orderID.map(String.init), "category": c.category, "severity": c.severity,
                "state": c.state.rawValue, "assignee_id": c.assigneeID?.uuidString.lowercased(),
                "first_response_due_at": c.firstResponseDueAt.formatted(.iso8601),
                "resolution_due_at": c.resolutionDueAt.formatted(.iso8601),
                "from": key == "from" ? value : nil, "breach": key == "breach" ? value : nil,
            ]))
    }
}
