import Foundation
import ItineraAPI

extension Community {
    var api: Components.Schemas.Community {
        Components.Schemas.Community(
            id: String(id), name: name, description: description,
            visibility: .init(rawValue: visibility.rawValue) ?? .invitation,
            programId: programID.map(String.init), minTier: minTier, memberCount: memberCount, createdAt: createdAt,
            updatedAt: updatedAt)
    }
}

extension CommunityMember {
    var api: Components.Schemas.CommunityMember {
        Components.Schemas.CommunityMember(
            customerId: String(customerID), joinedAt: joinedAt, source: .init(rawValue: source) ?? .api)
    }
}

extension CommunityEvent {
    /// The event as the API shows it, its times also as wall-clock times in the tenant's `timezone`.
    func api(in timezone: String) -> Components.Schemas.Event {
        let local = DateFormatter()
        local.locale = Locale(identifier: "en_US_POSIX")
        local.timeZone = TimeZone(identifier: timezone) ?? TimeZone(identifier: "UTC")
        local.dateFormat = "yyyy-MM-dd'T'HH:mm"
        return Components.Schemas.Event(
            id: String(id), communityId: communityID.map(String.init), membersOnly: membersOnly,
            kind: .init(rawValue: kind.rawValue) ?? .meetup, title: title, description: description, startsAt: startsAt,
            endsAt: endsAt, location: location, onlineUrl: onlineURL, capacity: capacity,
            waitlistCapacity: waitlistCapacity, registrationOpensAt: registrationOpensAt,
            registrationClosesAt: registrationClosesAt, programId: programID.map(String.init), minTier: minTier,
            state: .init(rawValue: state.rawValue) ?? .draft, registeredCount: registeredCount,
            waitlistedCount: waitlistedCount, cancelledReason: cancelledReason, votingOpensAt: votingOpensAt,
            votingClosesAt: votingClosesAt, holdHours: holdHours, timezone: timezone,
            startsAtLocal: local.string(from: startsAt), endsAtLocal: local.string(from: endsAt), createdAt: createdAt,
            updatedAt: updatedAt)
    }
}

extension EventRegistration {
    var api: Components.Schemas.Registration {
        Components.Schemas.Registration(
            id: String(id), eventId: String(eventID), customerId: String(customerID),
            state: .init(rawValue: state.rawValue) ?? .cancelled, source: source, waitlistPosition: waitlistPosition,
            promotedAt: promotedAt, holdUntil: holdUntil, checkedInAt: checkedInAt, createdAt: createdAt,
            cancelledAt: cancelledAt)
    }
}

extension EventReport {
    var api: Components.Schemas.EventReport {
        Components.Schemas.EventReport(
            registered: registered, waitlisted: waitlisted, cancelled: cancelled, attended: attended,
            noShows: noShows, attendanceRate: attendanceRate)
    }
}

extension Offer {
    var api: Components.Schemas.Offer {
        Components.Schemas.Offer(
            id: String(id), name: name, benefit: benefit, communityId: communityID.map(String.init),
            programId: programID.map(String.init), minTier: minTier,
            codeMode: .init(rawValue: codeMode.rawValue) ?? .perRecipient, codePrefix: codePrefix, code: code,
            maxRedemptions: maxRedemptions, perCustomerLimit: perCustomerLimit, validFrom: validFrom,
            validUntil: validUntil, state: .init(rawValue: state) ?? .retired, redeemedCount: redeemedCount,
            createdAt: createdAt, updatedAt: updatedAt)
    }
}

extension OfferCode {
    var api: Components.Schemas.OfferCode {
        Components.Schemas.OfferCode(
            code: code, offerId: String(offerID), customerId: String(customerID), source: source, issuedAt: issuedAt)
    }
}

extension OfferRedemption {
    var api: Components.Schemas.OfferRedemption {
        Components.Schemas.OfferRedemption(
            id: String(id), offerId: String(offerID), customerId: String(customerID), code: code,
            orderId: orderID.map(String.init), redeemedAt: redeemedAt)
    }
}

extension ContestEntry {
    var api: Components.Schemas.ContestEntry {
        Components.Schemas.ContestEntry(
            id: String(id), eventId: String(eventID), customerId: String(customerID), imageUrl: imageURL,
            caption: caption, votes: votes, winnerRank: winnerRank, createdAt: createdAt)
    }
}
