import Foundation
import ItineraAPI
import Logging

/// Messages to customers: `/v1/messages/…`.
struct MessageController: Sendable {
    let access: AccessControl
    let channels: MessageChannels
    /// Attempts a message (and the outbox events of its fate) get.
    let attempts: Int
    let logger: Logger

    func sendMessage(_ input: Operations.SendMessage.Input) async throws -> Operations.SendMessage.Output {
        let key = try input.headers.idempotencyKey.map { text throws(Problem) in try IdempotencyStore.key(text) }
        guard case .json(let body) = input.body else { throw Problem.malformedBody("Expected a JSON body.") }
        let customer = try FieldText.id(body.customerId, field: "customer_id", what: "a customer's id")
        let order = try body.orderId.map { text throws(Problem) in
            try FieldText.id(text, field: "order_id", what: "an order's id")
        }
        let name = try Self.templateName(body.template)
        let sourceRef = try body.sourceRef.map { text throws(Problem) in
            try FieldText.required(text, field: "source_ref", max: 200)
        }
        let requestHash = try IdempotencyStore.requestHash(body)
        let (channels, attempts) = (self.channels, self.attempts)
        let message = try await access.inTenant { tenant, _ in
            try await IdempotencyStore.once(
                operation: "message.send", key: key, requestHash: requestHash, status: 202, on: tenant
            ) {
                guard let template = try await MessageTemplateStore.find(name, on: tenant) else {
                    throw Problem.notFound("message template", name, field: "template")
                }
                guard channels.offers(template.channel) else {
                    throw Problem.invalidField(
                        "template",
                        "Template '\(name)' sends by \(Message.channelName(template.channel)), which this server is not configured to send."
                    )
                }
                guard
                    let variables = try await MessageTemplateStore.variables(
                        customer: customer, order: order, on: tenant)
                else { throw Problem.notFound("customer", body.customerId, field: "customer_id") }
                let (subject, text) = try MessageRenderer.render(
                    template, variables: variables, offer: body.offer?.additionalProperties, orderAsked: order != nil)
                guard text.count <= 20_000, (subject?.count ?? 0) <= 400 else {
                    throw Problem.invalidField(
                        "template", "Template '\(name)' renders longer than a message may be (20000 characters).")
                }
                let draft = MessageDraft(
                    customerID: customer, channel: template.channel, purpose: template.purpose, template: name,
                    source: "api", sourceRef: sourceRef, subject: subject, body: text,
                    links: MessageLinks.extract(text))
                switch try await MessageStore.queue(draft, attempts: attempts, on: tenant) {
                case .success(let message): return message.api
                case .failure(.noCustomer): throw Problem.notFound("customer", body.customerId, field: "customer_id")
                case .failure(.noConsent(let withdrawn)):
                    let what = "\(template.purpose) messages by \(Message.channelName(template.channel))"
                    throw Problem.invalidField(
                        "template",
                        withdrawn
                            ? "Customer \(customer) has withdrawn consent to \(what); nothing was sent."
                            : "Customer \(customer) has not consented to \(what); nothing was sent.")
                case .failure(.noAddress):
                    throw Problem.invalidField(
                        "customer_id",
                        "Customer \(customer) has no \(Message.channelName(template.channel)) address to send to.")
                }
            }
        }
        return .accepted(.init(body: .json(message)))
    }

    func listMessages(_ input: Operations.ListMessages.Input) async throws -> Operations.ListMessages.Output {
        let page = try PageRequest(limit: input.query.limit, cursor: input.query.cursor)
        let after = try page.afterTimeAndNumber()
        let customer = try input.query.customerId.map { text throws(Problem) in
            try FieldText.id(text, field: "customer_id", what: "a customer's id")
        }
        let messages = try await access.inTenant { tenant, _ in
            try await MessageStore.list(
                customer: customer, state: input.query.state?.rawValue, after: after, limit: page.limit + 1,
                on: tenant)
        }
        let (shown, next) = page.split(messages) { PageRequest.cursor(time: $0.createdAt, number: $0.id) }
        return .ok(.init(body: .json(.init(items: shown.map(\.api), nextCursor: next))))
    }

    func getMessage(_ input: Operations.GetMessage.Input) async throws -> Operations.GetMessage.Output {
        let id = try Problem.pathID(input.path.id, of: "message")
        let message = try await access.inTenant { tenant, _ in try await MessageStore.find(id, on: tenant) }
        guard let message else { throw Problem.notFound("message", input.path.id) }
        return .ok(.init(body: .json(message.api)))
    }

    /// A template's name as `MessageRequest.template` gives it: a 404 naming `template` when it
    /// cannot be one.
    private static func templateName(_ text: String) throws(Problem) -> String {
        do {
            return try TemplateInput.name(text)
        } catch {
            var problem = error
            problem.field = "template"
            throw problem
        }
    }

}
