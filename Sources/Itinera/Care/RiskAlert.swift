import Foundation

/// A warning about a destination over a period (weather, unrest, a closed road), sent to every
/// traveller whose booked travel there overlaps it, with an offer (a free rebooking) when it has one.
struct RiskAlert: Sendable, Equatable {
    enum State: String, Sendable {
        /// Its job is telling the travellers.
        case notifying
        /// Everyone was told, or found unreachable.
        case done
    }

    var id: Int64
    var destination: String
    var startsAt: Date
    var endsAt: Date
    var severity: String
    var message: String
    var offerID: Int64?
    /// Tried in order for each traveller: the first they can be reached by is used.
    var templates: [String]
    var state: State
    /// Bookings found overlapping.
    var bookings: Int
    var createdBy: String
    var createdAt: Date
    var finishedAt: Date?

    static let severities = ["advisory", "warning", "severe"]
    /// Hours before travel starts by which a traveller counts as warned in time.
    static let reachHours = 48
}

/// How an alert's notifications went.
struct RiskAlertReport: Sendable, Equatable {
    var pending = 0
    var reached = 0
    /// Reached at least `RiskAlert.reachHours` before travel started.
    var reachedInTime = 0
    var unreachable: [String: Int] = [:]
}

/// One booking an alert found, and what its notification became.
struct RiskAlertBooking: Sendable, Equatable {
    enum State: String, Sendable, CaseIterable {
        case pending, reached, unreachable
    }

    var orderID: Int64
    var customerID: Int64
    var travelStart: String
    var state: State
    var reason: String?
    var channel: String?
    var messageID: Int64?
    var notifiedAt: Date?
    var hoursBefore: Double?
}
