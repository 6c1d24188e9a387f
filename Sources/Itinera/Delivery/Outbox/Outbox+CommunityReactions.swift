import Foundation

/// The outbox's reactions to the community's and the campaigns' domain events (`docs/webhooks.md`
/// lists their data).
extension Outbox {
    static func reactToCommunity(
        _ events: inout DomainEvents, append: @escaping @Sendable ([OutboxEvent], EventContext) throws -> Void
    ) {
        events.on(CommunityJoined.self) { event, context in
            try append([try membership("community.joined", event.community, event.customerID, event.source)], context)
        }
        events.on(CommunityLeft.self) { event, context in
            try append([try membership("community.left", event.community, event.customerID, event.source)], context)
        }
        events.on(EventRegistered.self) { event, context in
            try append([try registration("registration.created", event.event, event.registration)], context)
        }
        events.on(RegistrationCancelled.self) { event, context in
            try append([try registration("registration.cancelled", event.event, event.registration)], context)
        }
        events.on(RegistrationPromoted.self) { event, context in
            try append([try registration("registration.promoted", event.event, event.registration)], context)
        }
        events.on(RegistrationConfirmed.self) { event, context in
            try append([try registration("registration.confirmed", event.event, event.registration)], context)
        }
        events.on(RegistrationCheckedIn.self) { event, context in
            try append([try registration("registration.checked_in", event.event, event.registration)], context)
        }
        events.on(OfferCodeIssued.self) { event, context in
            try append(
                [
                    OutboxEvent(
                        type: "offer.code_issued", entityType: "offer", entityID: String(event.offer.id),
                        orderingKey: OutboxEvent.customerKey(event.code.customerID),
                        data: try OutboxEvent.object([
                            "offer_id": String(event.offer.id), "name": event.offer.name,
                            "benefit": event.offer.benefit, "customer_id": String(event.code.customerID),
                            "code": event.code.code, "valid_until": event.offer.validUntil.formatted(.iso8601),
                        ]))
                ], context)
        }
        events.on(OfferRedeemed.self) { event, context in
            let redemption = event.redemption
            try append(
                [
                    OutboxEvent(
                        type: "offer.redeemed", entityType: "offer", entityID: String(event.offer.id),
                        orderingKey: OutboxEvent.customerKey(redemption.customerID),
                        data: try OutboxEvent.object([
                            "offer_id": String(event.offer.id), "name": event.offer.name,
                            "redemption_id": String(redemption.id), "customer_id": String(redemption.customerID),
                            "order_id": redemption.orderID.map(String.init),
                        ]))
                ], context)
        }
        events.on(ContestEntered.self) { event, context in
            let entry = event.entry
            try append(
                [
                    OutboxEvent(
                        type: "contest.entry_created", entityType: "event", entityID: String(event.event.id),
                        orderingKey: OutboxEvent.customerKey(entry.customerID),
                        data: try OutboxEvent.object([
                            "event_id": String(event.event.id), "entry_id": String(entry.id),
                            "customer_id": String(entry.customerID), "image_url": entry.imageURL,
                            "caption": entry.caption,
                        ]))
                ], context)
        }
        events.on(ContestWinnersChosen.self) { event, context in
            try append(
                [
                    OutboxEvent(
                        type: "contest.winners_chosen", entityType: "event", entityID: String(event.event.id),
                        orderingKey: "event:\(event.event.id)",
                        data: try OutboxEvent.object([
                            "event_id": String(event.event.id), "by": event.byVotes ? "votes" : "admin",
                            "winners": event.winners.map {
                                [
                                    "entry_id": String($0.id), "customer_id": String($0.customerID),
                                    "rank": $0.winnerRank ?? 0, "votes": $0.votes,
                                ] as [String: any Sendable]
                            },
                        ]))
                ], context)
        }
        events.on(CampaignChanged.self) { event, context in
            let campaign = event.campaign
            let counted = event.action == "launched" || event.action == "rerun"
            let data = try OutboxEvent.object([
                "campaign_id": String(campaign.id), "name": campaign.name, "state": campaign.state,
                "treated": counted ? event.treated : nil, "holdout": counted ? event.holdout : nil,
            ])
            try append(
                [
                    OutboxEvent(
                        type: "campaign.\(event.action)", entityType: "campaign", entityID: String(event.campaign.id),
                        orderingKey: "campaign:\(event.campaign.id)", data: data)
                ], context)
        }
        events.on(EventCancelled.self) { event, context in
            try append(
                [
                    OutboxEvent(
                        type: "event.cancelled", entityType: "event", entityID: String(event.event.id),
                        orderingKey: "event:\(event.event.id)",
                        data: try OutboxEvent.object([
                            "event_id": String(event.event.id), "title": event.event.title,
                            "reason": event.event.cancelledReason, "registrants": event.customers.count,
                        ]))
                ], context)
        }
    }

    private static func membership(_ type: String, _ community: Community, _ customer: Int64, _ source: String) throws
        -> OutboxEvent
    {
        OutboxEvent(
            type: type, entityType: "community", entityID: String(community.id),
            orderingKey: OutboxEvent.customerKey(customer),
            data: try OutboxEvent.object([
                "community_id": String(community.id), "name": community.name, "customer_id": String(customer),
                "source": source,
            ]))
    }

    private static func registration(_ type: String, _ event: CommunityEvent, _ r: EventRegistration) throws
        -> OutboxEvent
    {
        OutboxEvent(
            type: type, entityType: "registration", entityID: String(r.id),
            orderingKey: OutboxEvent.customerKey(r.customerID),
            data: try OutboxEvent.object([
                "registration_id": String(r.id), "event_id": String(event.id), "title": event.title,
                "customer_id": String(r.customerID), "state": r.state.rawValue, "source": r.source,
                "waitlist_position": r.waitlistPosition,
            ]))
    }
}
