public import Foundation

/// A booking a customer made, as a partner reported it.
public struct Order: Sendable, Equatable {
    /// Where an order stands; only confirmed and completed orders count in value figures.
    public enum Status: String, Sendable, CaseIterable {
        case confirmed, completed, cancelled, refunded

        /// Whether orders in this status count in the customer's value figures.
        public var counts: Bool { self == .confirmed || self == .completed }
    }

    public var id: Int64
    public var customerID: Int64
    public var details: OrderDetails
    public var cancelledAt: Date?
    public var createdAt: Date
}

/// What a partner says of an order, checked: everything but its id, its customer and its history.
public struct OrderDetails: Sendable, Equatable {
    public var externalID: String?
    public var amountMinor: Int64
    public var currency: String
    public var productName: String
    public var productCategory: String?
    public var productSKU: String?
    public var destination: String?
    public var channel: String?
    public var orderedAt: Date
    /// Calendar dates, `YYYY-MM-DD`.
    public var travelStart: String?
    public var travelEnd: String?
    public var partySize: Int?
    public var status: Order.Status
}
