import Foundation
import ItineraAPI
import Logging

/// A tenant's message templates: `/v1/message-templates/…`.
struct MessageTemplateController: Sendable {
    let access: AccessControl
    let logger: Logger

    func listMessageTemplates(_ input: Operations.ListMessageTemplates.Input) async throws
        -> Operations.ListMessageTemplates.Output
    {
        let page = try PageRequest(limit: input.query.limit, cursor: input.query.cursor)
        if let keys = page.after, keys.count != 1 { throw Problem.badCursor }
        let templates = try await access.inTenant { tenant, _ in
            try await MessageTemplateStore.list(after: page.after?.first, limit: page.limit + 1, on: tenant)
        }
        let (shown, next) = page.split(templates) { PageRequest.cursor([$0.name]) }
        return .ok(.init(body: .json(.init(items: shown.map(\.api), nextCursor: next))))
    }

    func getMessageTemplate(_ input: Operations.GetMessageTemplate.Input) async throws
        -> Operations.GetMessageTemplate.Output
    {
        let name = try TemplateInput.name(input.path.name)
        let template = try await access.inTenant { tenant, _ in try await Self.require(name, on: tenant) }
        return .ok(.init(body: .json(template.api)))
    }

    func putMessageTemplate(_ input: Operations.PutMessageTemplate.Input) async throws
        -> Operations.PutMessageTemplate.Output
    {
        let name = try TemplateInput.name(input.path.name)
        guard case .json(let body) = input.body else { throw Problem.malformedBody("Expected a JSON body.") }
        let template = try TemplateInput.template(
            name: name, channel: body.channel.rawValue, purpose: body.purpose.rawValue, subject: body.subject,
            body: body.body)
        let (saved, created) = try await access.inTenant { tenant, principal in
            let before = try await MessageTemplateStore.find(name, lock: true, on: tenant)
            if before == nil, try await MessageTemplateStore.count(on: tenant) >= MessageTemplate.maxPerTenant {
                throw Problem.conflict(
                    "The tenant already has \(MessageTemplate.maxPerTenant) message templates; remove one first.")
            }
            let saved = try await MessageTemplateStore.save(template, on: tenant)
            try await AuditLog.record(
                principal.auditEvent(
                    action: before == nil ? "message_template.create" : "message_template.update",
                    targetType: "message_template", targetID: name, before: before?.auditJSON, after: saved.auditJSON),
                on: tenant)
            return (saved, before == nil)
        }
        return created ? .created(.init(body: .json(saved.api))) : .ok(.init(body: .json(saved.api)))
    }

    func deleteMessageTemplate(_ input: Operations.DeleteMessageTemplate.Input) async throws
        -> Operations.DeleteMessageTemplate.Output
    {
        let name = try TemplateInput.name(input.path.name)
        try await access.inTenant { tenant, principal in
            let before = try await Self.require(name, lock: true, on: tenant)
            _ = try await MessageTemplateStore.delete(name, on: tenant)
            try await AuditLog.record(
                principal.auditEvent(
                    action: "message_template.delete", targetType: "message_template", targetID: name,
                    before: before.auditJSON, after: nil),
                on: tenant)
        }
        return .noContent(.init())
    }

    func previewMessageTemplate(_ input: Operations.PreviewMessageTemplate.Input) async throws
        -> Operations.PreviewMessageTemplate.Output
    {
        let name = try TemplateInput.name(input.path.name)
        guard case .json(let body) = input.body else { throw Problem.malformedBody("Expected a JSON body.") }
        let customer = try FieldText.id(body.customerId, field: "customer_id", what: "a customer's id")
        let order = try body.orderId.map { text throws(Problem) in
            try FieldText.id(text, field: "order_id", what: "an order's id")
        }
        let (template, variables) = try await access.inTenant { tenant, _ in
            let template = try await Self.require(name, on: tenant)
            guard let json = try await MessageTemplateStore.variables(customer: customer, order: order, on: tenant)
            else {
                throw Problem.notFound("customer", body.customerId, field: "customer_id")
            }
            return (template, json)
        }
        let (subject, text) = try MessageRenderer.render(
            template, variables: variables, offer: body.offer?.additionalProperties, orderAsked: order != nil)
        return .ok(
            .init(
                body: .json(.init(channel: template.channel, purpose: template.purpose, subject: subject, body: text))))
    }

    private static func require(_ name: String, lock: Bool = false, on tenant: TenantConnection) async throws
        -> MessageTemplate
    {
        guard let template = try await MessageTemplateStore.find(name, lock: lock, on: tenant) else {
            throw Problem.notFound("message template", name)
        }
        return template
    }
}
