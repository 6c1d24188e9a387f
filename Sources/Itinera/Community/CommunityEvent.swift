import Foundation

/// An event of the tenant's community: a sharing session, a livestream, a contest, a meetup or a
/// trip, with its schedule, place, capacity, registration window and gates.
struct CommunityEvent: Sendable, Equatable {
    enum Kind: String, Sendable, CaseIterable {
        case sharingSession = "sharing_session"
        case livestream, contest, meetup, trip
    }

    enum State: String, Sendable, CaseIterable {
        case draft, open, closed, cancelled
    }

    var id: Int64
    var communityID: Int64?
    var membersOnly: Bool
    var kind: Kind
    var title: String
    var description: String?
    var startsAt: Date
    var endsAt: Date
    var location: String?
    var onlineURL: String?
    /// Seats; nil: no limit.
    var capacity: Int?
    /// Places on the waiting list; nil: no limit, 0: none.
    var waitlistCapacity: Int?
    var registrationOpensAt: Date?
    var registrationClosesAt: Date?
    var programID: Int64?
    var minTier: String?
    var state: State
    var registeredCount: Int
    var waitlistedCount: Int
    var cancelledReason: String?
    var createdAt: Date
    var updatedAt: Date
    /// A contest's voting window.
    var votingOpensAt: Date?
    var votingClosesAt: Date?
    /// Hours a customer promoted from the waiting list has to confirm; nil: promoted straight to a seat.
    var holdHours: Int? = nil

    var auditJSON: Data? {
        let formatter = ISO8601DateFormatter()
        return try? JSONSerialization.data(
            withJSONObject: [
                "community_id": communityID.map(String.init) as Any, "members_only": membersOnly,
                "kind": kind.rawValue, "title": title, "description": description as Any,
                "starts_at": formatter.string(from: startsAt), "ends_at": formatter.string(from: endsAt),
                "location": location as Any, "online_url": onlineURL as Any, "capacity": capacity as Any,
                "waitlist_capacity": waitlistCapacity as Any,
                "registration_opens_at": registrationOpensAt.map(formatter.string(from:)) as Any,
                "registration_closes_at": registrationClosesAt.map(formatter.string(from:)) as Any,
                "program_id": programID.map(String.init) as Any, "min_tier": minTier as Any, "state": state.rawValue,
                "cancelled_reason": cancelledReason as Any,
                "voting_opens_at": votingOpensAt.map(formatter.string(from:)) as Any,
                "voting_closes_at": votingClosesAt.map(formatter.string(from:)) as Any,
                "hold_hours": holdHours as Any,
            ], options: [.sortedKeys])
    }

    /// The states an event may move to from `state`.
    static func allowed(from state: State) -> Set<State> {
        switch state {
        case .draft: [.draft, .open, .cancelled]
        case .open: [.open, .closed, .cancelled]
        case .closed: [.closed, .open, .cancelled]
        case .cancelled: [.cancelled]
        }
    }
}

/// A customer's registration for an event.
struct EventRegistration: Sendable, Equatable {
    enum State: String, Sendable, CaseIterable {
        /// Holds a seat.
        case registered
        /// Offered a freed seat, held until `holdUntil`: confirmed, it is `registered`; not, the seat
        /// passes to the next waiting.
        case offered
        case waitlisted, cancelled
    }

    var id: Int64
    var eventID: Int64
    var customerID: Int64
    var state: State
    var source: String
    /// The place on the waiting list (1 is next), while waitlisted.
    var waitlistPosition: Int?
    var promotedAt: Date?
    var checkedInAt: Date?
    var createdAt: Date
    var cancelledAt: Date?
    var holdUntil: Date? = nil
}

/// An event's figures: seats taken and waiting, who came and who did not.
struct EventReport: Sendable, Equatable {
    var registered: Int
    var waitlisted: Int
    var cancelled: Int
    var attended: Int
    /// Registered and not checked in, once the event has ended.
    var noShows: Int
    /// Attended over registered, once the event has ended.
    var attendanceRate: Double?
}
