import Foundation
import ItineraAPI

extension TouchpointRule {
    var api: Components.Schemas.TouchpointRule {
        Components.Schemas.TouchpointRule(
            code: code, phase: .init(rawValue: phase.rawValue) ?? .pre, anchor: .init(rawValue: anchor.rawValue),
            offsetHours: offsetHours, channel: .init(rawValue: channel) ?? .email, template: template,
            productCategory: productCategory, destination: destination)
    }
}

extension QuietHours {
    var api: Components.Schemas.QuietHours {
        Components.Schemas.QuietHours(start: Self.text(start), end: Self.text(end))
    }
}

extension Touchpoint {
    /// The touchpoint as the API shows it, its due time also on the clock of `zone`.
    func api(zone: TimeZone) -> Components.Schemas.Touchpoint {
        let local = dueAt.formatted(
            Date.ISO8601FormatStyle(timeZone: zone).year().month().day().dateTimeSeparator(.standard).time(
                includingFractionalSeconds: false))
        return Components.Schemas.Touchpoint(
            id: String(id), orderId: String(orderID), customerId: String(customerID), rule: rule,
            phase: .init(rawValue: phase.rawValue) ?? .pre, channel: channel, template: template, dueAt: dueAt,
            dueLocal: String(local.prefix(16)), state: .init(rawValue: state.rawValue) ?? .pending, reason: reason,
            messageId: messageID.map(String.init), updatedAt: updatedAt)
    }
}

/// Checks of the touchpoint rules an admin writes.
enum TouchpointInput {
    /// The quiet hours (nil: keep them) and the rules of a replacement, checked: codes unique, the
    /// quiet hours' times `HH:MM`.
    static func rules(_ body: Components.Schemas.TouchpointRulesRequest) throws(Problem) -> (
        QuietHours?, [TouchpointRule]
    ) {
        var quiet: QuietHours?
        if let hours = body.quietHours {
            guard let start = QuietHours.minutes(hours.start) else {
                throw .invalidField("quiet_hours.start", "quiet_hours.start must be a time HH:MM.")
            }
            guard let end = QuietHours.minutes(hours.end) else {
                throw .invalidField("quiet_hours.end", "quiet_hours.end must be a time HH:MM.")
            }
            quiet = QuietHours(start: start, end: end)
        }
        guard body.rules.count <= 50 else { throw .invalidField("rules", "At most 50 rules.") }
        var codes = Set<String>()
        var rules: [TouchpointRule] = []
        for (index, rule) in body.rules.enumerated() {
            let field = "rules[\(index)]"
            guard rule.code.wholeMatch(of: /[a-z0-9][a-z0-9_-]{0,39}/) != nil else {
                throw .invalidField(
                    "\(field).code", "\(field).code must be 1–40 lower-case letters, digits, '-' or '_'.")
            }
            guard codes.insert(rule.code).inserted else {
                throw .invalidField("\(field).code", "Rule code '\(rule.code)' is used twice.")
            }
            guard (-2160...2160).contains(rule.offsetHours) else {
                throw .invalidField("\(field).offset_hours", "\(field).offset_hours must be between -2160 and 2160.")
            }
            guard rule.template.wholeMatch(of: /[a-z0-9][a-z0-9_-]{0,59}/) != nil else {
                throw .invalidField("\(field).template", "\(field).template must name a message template.")
            }
            let phase = TouchpointRule.Phase(rawValue: rule.phase.rawValue) ?? .pre
            rules.append(
                TouchpointRule(
                    code: rule.code, phase: phase,
                    anchor: rule.anchor.flatMap { TouchpointRule.Anchor(rawValue: $0.rawValue) } ?? phase.defaultAnchor,
                    offsetHours: rule.offsetHours, channel: rule.channel.rawValue, template: rule.template,
                    productCategory: try rule.productCategory.map { text throws(Problem) in
                        try FieldText.required(text, field: "\(field).product_category", max: 100)
                    },
                    destination: try rule.destination.map { text throws(Problem) in
                        try FieldText.required(text, field: "\(field).destination", max: 200)
                    }))
        }
        return (quiet, rules)
    }
}
