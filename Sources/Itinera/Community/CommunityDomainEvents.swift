import Foundation

/// A customer joined a community (`POST /v1/communities/{id}/members`).
struct CommunityJoined: DomainEvent {
    let community: Community
    let customerID: Int64
    let source: String
}

/// A customer left a community, or an admin removed them.
struct CommunityLeft: DomainEvent {
    let community: Community
    let customerID: Int64
    let source: String
}

/// A customer registered for an event: with a seat or on the waiting list.
struct EventRegistered: DomainEvent {
    let event: CommunityEvent
    let registration: EventRegistration
}

/// A registration was cancelled (its seat, if it had one, goes to the first on the waiting list:
/// `RegistrationPromoted`).
struct RegistrationCancelled: DomainEvent {
    let event: CommunityEvent
    let registration: EventRegistration
}

/// A customer on the waiting list got a seat: one freed by a cancellation, or added with the capacity.
struct RegistrationPromoted: DomainEvent {
    let event: CommunityEvent
    let registration: EventRegistration
}

/// A registered customer was checked in at the event.
struct RegistrationCheckedIn: DomainEvent {
    let event: CommunityEvent
    let registration: EventRegistration
}

/// An event was cancelled; `customers` are those registered or waiting, who are told.
struct EventCancelled: DomainEvent {
    let event: CommunityEvent
    let customers: [Int64]
}

/// A per-recipient code of an offer was issued to a customer.
struct OfferCodeIssued: DomainEvent {
    let offer: Offer
    let code: OfferCode
}

/// A customer redeemed an offer (with an order, when one was named).
struct OfferRedeemed: DomainEvent {
    let offer: Offer
    let redemption: OfferRedemption
}

/// A customer entered a photo contest.
struct ContestEntered: DomainEvent {
    let event: CommunityEvent
    let entry: ContestEntry
}

/// A contest's winners were chosen, by votes or by an admin.
struct ContestWinnersChosen: DomainEvent {
    let event: CommunityEvent
    let winners: [ContestEntry]
    let byVotes: Bool
}

/// A customer confirmed the seat offered to them from the waiting list, within its hold.
struct RegistrationConfirmed: DomainEvent {
    let event: CommunityEvent
    let registration: EventRegistration
}
