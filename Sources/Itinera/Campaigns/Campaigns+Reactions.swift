/// What campaigns do when orders and customers change: an order that counts is the recovery of
/// the customer's recipients whose attribution window it falls in (recorded in the order's own
/// transaction, without a round trip of its own); a merge moves the merged customer's recipients.
enum Campaigns {
    static func react(to events: inout DomainEvents) {
        events.on(OrderRecorded.self) { event, context in
            guard event.order.details.status.counts else { return }
            try CampaignStore.attribute(event.order, on: context.connection)
        }
        events.on(CustomersMerged.self) { event, context in
            try await CampaignStore.merge(event.merged, into: event.survivor, on: context.connection)
        }
    }
}
