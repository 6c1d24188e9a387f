import Foundation
import ItineraAPI
import Logging

/// Destination risk alerts: `/v1/risk-alerts`.
struct RiskAlertController: Sendable {
    let access: AccessControl
    let events: DomainEvents
    let logger: Logger

    /// Records the alert with the bookings it affects (audited) and queues the job that tells them.
    func createRiskAlert(_ input: Operations.CreateRiskAlert.Input) async throws -> Operations.CreateRiskAlert.Output {
        guard case .json(let body) = input.body else { throw Problem.malformedBody("Expected a JSON body.") }
        let draft = try RiskAlertInput.draft(body)
        let view = try await access.inTenant { tenant, principal in
            for (index, name) in draft.templates.enumerated()
            where try await MessageTemplateStore.find(name, on: tenant) == nil {
                throw Problem.notFound("message template", name, field: "templates[\(index)]")
            }
            if let offer = draft.offer, try await OfferStore.find(offer, on: tenant) == nil {
                throw Problem.notFound("offer", String(offer), field: "offer_id")
            }
            let alert = try await RiskAlertStore.create(
                destination: draft.destination, startsAt: draft.startsAt, endsAt: draft.endsAt,
                severity: draft.severity, message: draft.message, offer: draft.offer, templates: draft.templates,
                createdBy: "\(principal.auditActor.type):\(principal.auditActor.id)",
                zone: principal.tenant.timezone, on: tenant)
            try await JobStore.queue(
                RiskAlertJob.kind, subject: "risk_alert", id: alert.id, createdBy: "care", on: tenant)
            try await AuditLog.record(
                principal.auditEvent(
                    action: "risk_alert.create", targetType: "risk_alert", targetID: String(alert.id), before: nil,
                    after: alert.auditJSON),
                on: tenant)
            try await events.publish(
                RiskAlertChanged(alert: alert, action: "issued"),
                in: EventContext(connection: tenant, tenant: principal.tenant, events: events))
            return alert.api(report: RiskAlertReport(pending: alert.bookings))
        }
        return .accepted(.init(body: .json(view)))
    }

    func getRiskAlert(_ input: Operations.GetRiskAlert.Input) async throws -> Operations.GetRiskAlert.Output {
        let id = try Problem.pathID(input.path.id, of: "risk alert")
        let view = try await access.inTenant { tenant, _ in
            guard let alert = try await RiskAlertStore.find(id, on: tenant) else {
                throw Problem.notFound("risk alert", input.path.id)
            }
            return alert.api(report: try await RiskAlertStore.report(id, on: tenant))
        }
        return .ok(.init(body: .json(view)))
    }

    func listRiskAlerts(_ input: Operations.ListRiskAlerts.Input) async throws -> Operations.ListRiskAlerts.Output {
        let page = try PageRequest(limit: input.query.limit, cursor: input.query.cursor)
        let after = try page.afterTimeAndNumber()
        let (shown, next) = try await access.inTenant { tenant, _ in
            let found = try await RiskAlertStore.list(after: after, limit: page.limit + 1, on: tenant)
            let (shown, next) = page.split(found) { PageRequest.cursor(time: $0.createdAt, number: $0.id) }
            var views: [Components.Schemas.RiskAlert] = []
            for alert in shown {
                views.append(alert.api(report: try await RiskAlertStore.report(alert.id, on: tenant)))
            }
            return (views, next)
        }
        return .ok(.init(body: .json(.init(items: shown, nextCursor: next))))
    }

    func listRiskAlertBookings(_ input: Operations.ListRiskAlertBookings.Input) async throws
        -> Operations.ListRiskAlertBookings.Output
    {
        let id = try Problem.pathID(input.path.id, of: "risk alert")
        let page = try PageRequest(limit: input.query.limit, cursor: input.query.cursor)
        let after = try page.afterID()
        let found = try await access.inTenant { tenant, _ in
            guard try await RiskAlertStore.find(id, on: tenant) != nil else {
                throw Problem.notFound("risk alert", input.path.id)
            }
            return try await RiskAlertStore.bookings(
                of: id, state: input.query.state?.rawValue, after: after, limit: page.limit + 1, on: tenant)
        }
        let (shown, next) = page.split(found) { PageRequest.cursor([String($0.orderID)]) }
        return .ok(.init(body: .json(.init(items: shown.map(\.api), nextCursor: next))))
    }
}
