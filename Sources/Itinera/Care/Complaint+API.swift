import Foundation
import ItineraAPI

extension Complaint {
    /// The complaint as the API shows it, its breaches as of `now`.
    func api(now: Date) -> Components.Schemas.Complaint {
        let sla = ComplaintSLA(stored: self, now: now)
        return Components.Schemas.Complaint(
            id: String(id), customerId: String(customerID), orderId: orderID.map(String.init), channel: channel,
            category: category, severity: severity, summary: summary, assigneeId: assigneeID?.uuidString.lowercased(),
            state: .init(rawValue: state.rawValue) ?? .open, openedAt: openedAt,
            firstResponseDueAt: firstResponseDueAt, firstRespondedAt: firstRespondedAt,
            resolutionDueAt: sla.resolutionDueAt, resolutionPaused: pausedSince != nil, resolvedAt: resolvedAt,
            firstResponseBreached: sla.firstResponseBreached, resolutionBreached: sla.resolutionBreached,
            updatedAt: updatedAt)
    }
}

extension ComplaintSLA {
    /// The service level as of `now` from the columns the last change derived: a clock that runs on
    /// since then has its due time fixed, and one that stands moves its due time on by the pause.
    init(stored: Complaint, now: Date) {
        firstResponseDueAt = stored.firstResponseDueAt
        firstRespondedAt = stored.firstRespondedAt
        pausedSince = stored.pausedSince
        resolvedAt = stored.resolvedAt
        let standing = stored.pausedSince.map { max(0, now.timeIntervalSince($0)) } ?? 0
        resolutionDueAt = stored.resolutionDueAt.addingTimeInterval(standing)
        firstResponseBreached = (stored.firstRespondedAt ?? now) > stored.firstResponseDueAt
        let end = stored.resolvedAt ?? stored.pausedSince ?? now
        resolutionBreached = end > stored.resolutionDueAt
    }
}

extension ComplaintEvent {
    var api: Components.Schemas.ComplaintHistoryEntry {
        Components.Schemas.ComplaintHistoryEntry(
            _type: .init(rawValue: type) ?? .note, state: state.flatMap { .init(rawValue: $0.rawValue) }, at: at,
            actor: actor, note: note)
    }
}

/// Checks of what agents and partners write about complaints.
enum ComplaintInput {
    struct Draft {
        var customer: Int64
        var order: Int64?
        var channel: String
        var category: String
        var severity: String
        var summary: String
        var assignee: UUID?
    }

    struct Change {
        var state: Complaint.State?
        var assignee: UUID?
        var note: String?
    }

    static func draft(_ body: Components.Schemas.ComplaintRequest) throws(Problem) -> Draft {
        let customer = try FieldText.id(body.customerId, field: "customer_id", what: "a customer's id")
        let order = try body.orderId.map { text throws(Problem) in
            try FieldText.id(text, field: "order_id", what: "an order's id")
        }
        guard body.category.range(of: "^[a-z0-9][a-z0-9_-]{0,39}$", options: .regularExpression) != nil else {
            throw .invalidField(
                "category", "category is 1–40 lower-case letters, digits, '-' or '_', starting with a letter or digit.")
        }
        return Draft(
            customer: customer, order: order, channel: body.channel.rawValue, category: body.category,
            severity: body.severity?.rawValue ?? "normal",
            summary: try FieldText.required(body.summary, field: "summary", max: 5000),
            assignee: try body.assigneeId.map { text throws(Problem) in try uuid(text) })
    }

    static func change(_ body: Components.Schemas.ComplaintUpdate) throws(Problem) -> Change {
        guard body.state != nil || body.assigneeId != nil || body.note != nil else {
            throw .invalidField("state", "Give a state, an assignee_id or a note.")
        }
        return Change(
            state: body.state.flatMap { Complaint.State(rawValue: $0.rawValue) },
            assignee: try body.assigneeId.map { text throws(Problem) in try uuid(text) },
            note: try body.note.map { text throws(Problem) in try FieldText.required(text, field: "note", max: 5000) })
    }

    private static func uuid(_ text: String) throws(Problem) -> UUID {
        guard let id = UUID(uuidString: text) else {
            throw .invalidField("assignee_id", "assignee_id must be a user's id (a UUID).")
        }
        return id
    }
}
