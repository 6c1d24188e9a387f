import Foundation
import Mustache

/// A tenant's message template: Mustache text for a channel and a purpose.
struct MessageTemplate: Sendable, Equatable {
    var name: String
    var channel: String
    var purpose: String
    /// E-mail only.
    var subject: String?
    var body: String
    var createdAt: Date
    var updatedAt: Date

    static let channels = ["email", "sms", "wechat"]
    static let purposes = ["marketing", "service"]
    /// Most templates one tenant may keep.
    static let maxPerTenant = 200

    var auditJSON: Data? {
        try? JSONSerialization.data(
            withJSONObject: [
                "name": name, "channel": channel, "purpose": purpose, "subject": subject as Any, "body": body,
            ], options: [.sortedKeys])
    }
}

/// Mustache rendering for messages: plain text (nothing HTML-escaped), variables missing render
/// empty, as Mustache says.
enum MessageRenderer {
    /// The template compiled, or a 422 naming `field` with where the Mustache is wrong.
    static func compile(_ text: String, field: String) throws(Problem) -> MustacheTemplate {
        do {
            return try MustacheTemplate(string: "{{% CONTENT_TYPE: TEXT}}" + text)
        } catch let error as MustacheTemplate.ParserError {
            throw .invalidField(
                field,
                "\(field) is not valid Mustache at line \(error.context.lineNumber), column \(error.context.columnNumber): \(error.error)."
            )
        } catch {
            throw .invalidField(field, "\(field) is not valid Mustache: \(error).")
        }
    }

    static func render(_ template: MustacheTemplate, _ variables: [String: Any]) -> String {
        template.render(variables)
    }

    /// `template` rendered with `variables` (the JSON `MessageTemplateStore.variables` answers) and
    /// the sender's `offer`; a 422 naming `order_id` when an order was asked for and is not the
    /// customer's.
    static func render(
        _ template: MessageTemplate, variables: String, offer: [String: String]?, orderAsked: Bool,
        extra: [String: Any] = [:]
    ) throws(Problem) -> (subject: String?, body: String) {
        var values = (try? JSONSerialization.jsonObject(with: Data(variables.utf8)) as? [String: Any]) ?? [:]
        values.merge(extra) { _, given in given }
        if orderAsked, values["order"] is NSNull || values["order"] == nil {
            throw Problem.invalidField("order_id", "order_id must name one of the customer's orders.")
        }
        values["offer"] = offer ?? (values["offer"] as? [String: Any]) ?? [:]
        let subject = try template.subject.map { text throws(Problem) in
            render(try compile(text, field: "subject"), values)
        }
        return (subject, render(try compile(template.body, field: "body"), values))
    }
}

/// Checks of what admins write about templates.
enum TemplateInput {
    static func name(_ text: String) throws(Problem) -> String {
        guard text.range(of: "^[a-z0-9][a-z0-9_-]{0,59}$", options: .regularExpression) != nil else {
            throw .notFound("message template", text)
        }
        return text
    }

    static func template(
        name: String, channel: String, purpose: String, subject: String?, body: String, now: Date = Date()
    ) throws(Problem) -> MessageTemplate {
        guard MessageTemplate.channels.contains(channel) else {
            throw .invalidField(
                "channel", "channel must be one of \(MessageTemplate.channels.joined(separator: ", ")).")
        }
        guard MessageTemplate.purposes.contains(purpose) else {
            throw .invalidField("purpose", "purpose must be marketing or service.")
        }
        if channel == "email" {
            guard let subject, !subject.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw .invalidField("subject", "An e-mail template needs a subject.")
            }
            guard subject.count <= 200 else { throw .invalidField("subject", "subject is at most 200 characters.") }
            _ = try MessageRenderer.compile(subject, field: "subject")
        } else if subject != nil {
            throw .invalidField("subject", "Only e-mail templates have a subject.")
        }
        guard !body.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, body.count <= 20_000 else {
            throw .invalidField("body", "body must be 1–20000 characters.")
        }
        _ = try MessageRenderer.compile(body, field: "body")
        return MessageTemplate(
            name: name, channel: channel, purpose: purpose, subject: subject, body: body, createdAt: now, updatedAt: now
        )
    }
}
