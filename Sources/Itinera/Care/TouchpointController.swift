import Foundation
import ItineraAPI
import Logging

/// Trip touchpoints: the rules (`/v1/touchpoint-rules`) and what they scheduled (`/v1/touchpoints`).
struct TouchpointController: Sendable {
    let access: AccessControl
    let logger: Logger

    func getTouchpointRules(_ input: Operations.GetTouchpointRules.Input) async throws
        -> Operations.GetTouchpointRules.Output
    {
        let view = try await access.inTenant { tenant, _ in try await Self.view(on: tenant) }
        return .ok(.init(body: .json(view)))
    }

    /// Replaces the rules and quiet hours (audited) and schedules every trip still to come again.
    func replaceTouchpointRules(_ input: Operations.ReplaceTouchpointRules.Input) async throws
        -> Operations.ReplaceTouchpointRules.Output
    {
        guard case .json(let body) = input.body else { throw Problem.malformedBody("Expected a JSON body.") }
        let (quiet, rules) = try TouchpointInput.rules(body)
        let view = try await access.inTenant { tenant, principal in
            for (index, rule) in rules.enumerated() {
                guard let template = try await MessageTemplateStore.find(rule.template, on: tenant) else {
                    throw Problem.notFound("message template", rule.template, field: "rules[\(index)].template")
                }
                guard template.channel == rule.channel else {
                    throw Problem.invalidField(
                        "rules[\(index)].template",
                        "Template '\(rule.template)' sends by \(template.channel); the rule sends by \(rule.channel).")
                }
            }
            let (keptQuiet, keptRules) = try await TouchpointStore.rules(on: tenant)
            let pending = try await TouchpointStore.replace(
                quiet: quiet ?? keptQuiet, rules: rules, tenant: principal.tenant, on: tenant)
            // What was set before and after, as a request would set it.
            func settings(_ quiet: QuietHours, _ rules: [TouchpointRule]) -> Data? {
                try? AuditJSON.encoder.encode(
                    Components.Schemas.TouchpointRulesRequest(quietHours: quiet.api, rules: rules.map(\.api)))
            }
            try await AuditLog.record(
                principal.auditEvent(
                    action: "touchpoint_rules.replace", targetType: "touchpoint_rules", targetID: nil,
                    before: settings(keptQuiet, keptRules), after: settings(quiet ?? keptQuiet, rules)),
                on: tenant)
            return Components.Schemas.TouchpointRules(
                quietHours: (quiet ?? keptQuiet).api, rules: rules.map(\.api), pending: pending)
        }
        return .ok(.init(body: .json(view)))
    }

    func listTouchpoints(_ input: Operations.ListTouchpoints.Input) async throws -> Operations.ListTouchpoints.Output {
        let page = try PageRequest(limit: input.query.limit, cursor: input.query.cursor)
        let after = try page.afterTimeAndNumber()
        let order = try input.query.orderId.map { text throws(Problem) in
            try FieldText.id(text, field: "order_id", what: "an order's id")
        }
        let customer = try input.query.customerId.map { text throws(Problem) in
            try FieldText.id(text, field: "customer_id", what: "a customer's id")
        }
        let (found, zone) = try await access.inTenant { tenant, principal in
            (
                try await TouchpointStore.list(
                    order: order, customer: customer, state: input.query.state?.rawValue, after: after,
                    limit: page.limit + 1, on: tenant),
                principal.tenant.timeZone
            )
        }
        let (shown, next) = page.split(found) { PageRequest.cursor(time: $0.dueAt, number: $0.id) }
        return .ok(.init(body: .json(.init(items: shown.map { $0.api(zone: zone) }, nextCursor: next))))
    }

    private static func view(on tenant: TenantConnection) async throws -> Components.Schemas.TouchpointRules {
        let (quiet, rules) = try await TouchpointStore.rules(on: tenant)
        return Components.Schemas.TouchpointRules(
            quietHours: quiet.api, rules: rules.map(\.api), pending: try await TouchpointStore.pendingCount(on: tenant))
    }
}
