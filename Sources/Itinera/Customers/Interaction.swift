public import Foundation

/// Something a customer did besides ordering: looked at a tour, asked a question, walked through a
/// scenic area's gate.
public struct Interaction: Sendable, Equatable {
    /// The kinds of interaction partners report.
    public static let types: Set<String> = [
        "page_view", "search", "favourite", "inquiry", "store_visit", "call", "message", "gate_entry", "check_in",
        "check_out", "review", "share", "app_open", "coupon_use",
    ]

    public var id: Int64
    public var customerID: Int64
    public var type: String
    public var channel: String?
    public var occurredAt: Date
    /// A JSON object.
    public var attributes: String
}

/// One entry of a customer's timeline: an order, an interaction, a merge, and what later
/// capabilities add.
public struct TimelineEvent: Sendable, Equatable {
    public var kind: String
    public var id: Int64
    public var occurredAt: Date
    /// A JSON object describing the event.
    public var data: String
}
