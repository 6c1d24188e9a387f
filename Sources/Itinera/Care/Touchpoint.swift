import Foundation

/// A rule of the tenant's trip care: at a phase of the trip, `offsetHours` from the start or the end
/// of travel, send `template` by `channel` — to every order with travel dates, or only to those of a
/// product category and/or a destination.
struct TouchpointRule: Sendable, Equatable {
    enum Phase: String, Sendable, CaseIterable {
        case pre, `in`, post

        /// The anchor a rule of the phase counts from unless it names one: the start of travel
        /// before and during the trip, its end after.
        var defaultAnchor: Anchor { self == .post ? .end : .start }
    }

    /// 00:00 of the first day of travel (`start`) or 24:00 of the last (`end`), in the tenant's time
    /// zone.
    enum Anchor: String, Sendable, CaseIterable {
        case start, end
    }

    var code: String
    var phase: Phase
    var anchor: Anchor
    var offsetHours: Int
    var channel: String
    var template: String
    var productCategory: String?
    var destination: String?
}

/// The hours of the day, in the tenant's time zone, when no touchpoint is sent: one due inside them
/// waits for their end. Equal start and end mean none.
struct QuietHours: Sendable, Equatable {
    /// Minutes after midnight.
    var start: Int
    var end: Int

    static let `default` = QuietHours(start: 21 * 60, end: 8 * 60)

    /// `HH:MM`.
    static func text(_ minutes: Int) -> String { String(format: "%02d:%02d", minutes / 60, minutes % 60) }

    /// Minutes after midnight of `HH:MM`, or nil.
    static func minutes(_ text: String) -> Int? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isASCII) }),
            let hours = Int(parts[0]), let minutes = Int(parts[1]), (0..<24).contains(hours), (0..<60).contains(minutes)
        else { return nil }
        return hours * 60 + minutes
    }
}

/// One rule's touchpoint of one order: when it is due, and what became of it.
struct Touchpoint: Sendable, Equatable {
    enum State: String, Sendable, CaseIterable {
        /// Waiting for its due time.
        case pending
        /// Its message was queued (`messageID`).
        case sent
        /// It could not be sent (`reason`: `no_consent`, `consent_withdrawn`, `no_address`,
        /// `no_customer`, `no_template`).
        case skipped
        /// The order was cancelled before it was due.
        case withdrawn
    }

    var id: Int64
    var orderID: Int64
    var customerID: Int64
    var rule: String
    var phase: TouchpointRule.Phase
    var channel: String
    var template: String
    var dueAt: Date
    var state: State
    var reason: String?
    var messageID: Int64?
    var updatedAt: Date
}
