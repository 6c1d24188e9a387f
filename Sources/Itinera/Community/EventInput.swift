import Foundation
import ItineraAPI

/// Checks of what admins write about events: the fields given replace the event's, then the whole
/// is checked (the end after the start, the window in order, a members-only event with a community).
enum EventInput {
    static func apply(
        _ fields: Components.Schemas.EventFields, to event: inout CommunityEvent, creating: Bool
    ) throws(Problem) {
        if let community = fields.communityId {
            guard creating else {
                throw .invalidField("community_id", "An event stays in the community it was made in.")
            }
            event.communityID = try FieldText.id(community, field: "community_id", what: "a community's id")
            event.membersOnly = true
        }
        if let membersOnly = fields.membersOnly { event.membersOnly = membersOnly }
        if event.membersOnly, event.communityID == nil {
            throw .invalidField(
                "members_only", "members_only needs community_id, the community whose members may come.")
        }
        if let kind = fields.kind { event.kind = CommunityEvent.Kind(rawValue: kind.rawValue) ?? event.kind }
        if let title = fields.title { event.title = try FieldText.required(title, field: "title", max: 200) }
        if creating { event.title = try FieldText.required(event.title, field: "title", max: 200) }
        if let description = fields.description {
            event.description = try FieldText.required(description, field: "description", max: 10_000)
        }
        if let startsAt = fields.startsAt { event.startsAt = startsAt }
        if let endsAt = fields.endsAt { event.endsAt = endsAt }
        guard event.endsAt > event.startsAt else { throw .invalidField("ends_at", "ends_at must be after starts_at.") }
        if let location = fields.location {
            event.location = try FieldText.required(location, field: "location", max: 500)
        }
        if let link = fields.onlineUrl {
            guard link.count <= 2048, let url = URL(string: link), url.scheme?.lowercased() == "https", url.host != nil
            else { throw .invalidField("online_url", "online_url must be an https:// link.") }
            event.onlineURL = link
        }
        if let capacity = fields.capacity {
            guard (1...1_000_000).contains(capacity) else {
                throw .invalidField("capacity", "capacity must be between 1 and 1000000.")
            }
            event.capacity = capacity
        }
        if let waitlist = fields.waitlistCapacity {
            guard (0...1_000_000).contains(waitlist) else {
                throw .invalidField("waitlist_capacity", "waitlist_capacity must be between 0 and 1000000.")
            }
            if waitlist < event.waitlistedCount {
                throw .invalidField(
                    "waitlist_capacity",
                    "\(event.waitlistedCount) are waiting; waitlist_capacity cannot be \(waitlist).")
            }
            event.waitlistCapacity = waitlist
        }
        if let opens = fields.registrationOpensAt { event.registrationOpensAt = opens }
        if let closes = fields.registrationClosesAt { event.registrationClosesAt = closes }
        if let opens = event.registrationOpensAt, let closes = event.registrationClosesAt, closes <= opens {
            throw .invalidField("registration_closes_at", "registration_closes_at must be after registration_opens_at.")
        }
        if let hours = fields.holdHours {
            guard (1...168).contains(hours) else {
                throw .invalidField("hold_hours", "hold_hours must be between 1 and 168 (a week).")
            }
            event.holdHours = hours
        }
        if let opens = fields.votingOpensAt { event.votingOpensAt = opens }
        if let closes = fields.votingClosesAt { event.votingClosesAt = closes }
        if event.votingOpensAt != nil || event.votingClosesAt != nil {
            guard event.kind == .contest else {
                throw .invalidField("voting_opens_at", "Only a contest has a voting window.")
            }
            if let opens = event.votingOpensAt, let closes = event.votingClosesAt, closes <= opens {
                throw .invalidField("voting_closes_at", "voting_closes_at must be after voting_opens_at.")
            }
        }
        if fields.programId != nil || fields.minTier != nil {
            (event.programID, event.minTier) = try CommunityInput.tier(
                programID: fields.programId, minTier: fields.minTier)
        }
    }

    static func noTier(_ event: CommunityEvent) -> Problem {
        .invalidField(
            "min_tier", "'\(event.minTier ?? "")' is not a tier of programme \(event.programID.map(String.init) ?? "")."
        )
    }
}
