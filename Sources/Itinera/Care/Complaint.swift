import Foundation

/// A customer's complaint and where it stands against its service level.
struct Complaint: Sendable, Equatable {
    enum State: String, Sendable, CaseIterable {
        case open
        case responded
        case waitingOnCustomer = "waiting_on_customer"
        case resolved
        case closed

        /// The states a complaint may move to from this one.
        var next: Set<State> {
            switch self {
            case .open: [.responded, .waitingOnCustomer, .resolved, .closed]
            case .responded: [.waitingOnCustomer, .resolved, .closed]
            case .waitingOnCustomer: [.responded, .resolved, .closed]
            case .resolved: [.open, .closed]
            case .closed: []
            }
        }
    }

    static let channels = ["phone", "email", "sms", "wechat", "web", "in_person", "partner"]
    static let severities = ["low", "normal", "high", "urgent"]

    var id: Int64
    var customerID: Int64
    var orderID: Int64?
    var channel: String
    var category: String
    var severity: String
    var summary: String
    var assigneeID: UUID?
    var state: State
    var openedAt: Date
    var firstResponseMinutes: Int
    var resolutionMinutes: Int
    var firstResponseDueAt: Date
    var firstRespondedAt: Date?
    var resolutionDueAt: Date
    var pausedSince: Date?
    var resolvedAt: Date?
    var updatedAt: Date
}

/// One entry of a complaint's history.
struct ComplaintEvent: Sendable, Equatable {
    var type: String
    var state: Complaint.State?
    var at: Date
    var actor: String
    var note: String?
}

/// A complaint's service level, computed from its history alone: when it was opened, each change of
/// state and when it happened, and the minutes its policy allowed.
///
/// - The **first response** is the first move out of `open`; it is due `firstResponseMinutes` after
///   opening, and breached when it came later, or has not come and the due time has passed.
/// - The **resolution** clock runs while the complaint is `open` or `responded`, is paused while it
///   waits on the customer, and stops when it is `resolved` or `closed` (a reopened complaint runs
///   on). It is breached when the running time exceeds `resolutionMinutes`; its due time is when the
///   running time reaches them, moved on by every time the clock stood.
struct ComplaintSLA: Sendable, Equatable {
    var firstResponseDueAt: Date
    var firstRespondedAt: Date?
    var resolutionDueAt: Date
    var pausedSince: Date?
    var resolvedAt: Date?
    var firstResponseBreached: Bool
    var resolutionBreached: Bool

    init(
        openedAt: Date, firstResponseMinutes: Int, resolutionMinutes: Int,
        changes: [(state: Complaint.State, at: Date)], now: Date
    ) {
        firstResponseDueAt = openedAt.addingTimeInterval(Double(firstResponseMinutes) * 60)
        let allowed = Double(resolutionMinutes) * 60
        var state = Complaint.State.open
        var since = openedAt
        var running: TimeInterval = 0
        // Time the clock stood: waiting on the customer, or resolved before a reopening.
        var idle: TimeInterval = 0
        var responded: Date?
        var resolved: Date?
        for change in changes.sorted(by: { $0.at < $1.at }) {
            let span = max(0, change.at.timeIntervalSince(since))
            if [.open, .responded].contains(state) { running += span } else { idle += span }
            if state == .open, change.state != .open, responded == nil { responded = change.at }
            resolved = [.resolved, .closed].contains(change.state) ? (resolved ?? change.at) : nil
            state = change.state
            since = change.at
        }
        let end = resolved ?? now
        let span = max(0, end.timeIntervalSince(since))
        if [.open, .responded].contains(state) { running += span } else { idle += span }
        firstRespondedAt = responded
        resolvedAt = resolved
        pausedSince = state == .waitingOnCustomer ? since : nil
        resolutionDueAt = openedAt.addingTimeInterval(allowed + idle)
        firstResponseBreached = (responded ?? now) > firstResponseDueAt
        resolutionBreached = running > allowed
    }
}
