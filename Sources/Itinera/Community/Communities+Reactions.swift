import Foundation

/// What the community does when customers are merged: the merged customer's memberships, history and
/// registrations become the survivor's. A registration both had for one event keeps the survivor's;
/// the other's is cancelled as any cancellation is (its seat goes to the first on the waiting list).
/// A campaign's recipient who is due their message gets their code of its per-recipient offer
/// while the offer is active and valid (before the messages capability renders it).
enum Communities {
    static func react(to events: inout DomainEvents) {
        events.on(CampaignMessageDue.self) { event, context in
            guard let id = event.campaign.offerID,
                let offer = try await OfferStore.find(id, on: context.connection),
                offer.codeMode == .perRecipient, offer.state == "active", offer.validUntil > Date(),
                let issued = try await OfferStore.issue(
                    offer, to: event.customerID, source: event.reference, on: context.connection),
                issued.new
            else { return }
            try await context.publish(OfferCodeIssued(offer: offer, code: issued.code))
        }
        events.on(CustomersMerged.self) { event, context in
            let tenant = context.connection
            try await CommunityStore.merge(event.merged, into: event.survivor, on: tenant)
            for (registration, eventID) in try await RegistrationStore.duplicates(
                of: event.merged, with: event.survivor, on: tenant)
            {
                guard let locked = try await EventStore.find(eventID, lock: true, on: tenant),
                    let cancelled = try await RegistrationStore.cancel(registration, event: eventID, on: tenant)
                else { continue }
                try await context.publish(RegistrationCancelled(event: locked, registration: cancelled.registration))
                if let promoted = cancelled.promoted {
                    try await context.publish(RegistrationPromoted(event: locked, registration: promoted))
                }
            }
            try await RegistrationStore.move(from: event.merged, to: event.survivor, on: tenant)
        }
    }
}
