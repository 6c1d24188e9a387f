extension Loyalty {
    /// Loyalty's reactions, added at wiring time: a recorded order earns points and decides the
    /// member's tier (from what the order's insert read, `LoyaltyOrderRead`); a cancelled order gives
    /// back its unspent points and decides again; a merge moves the merged customer's memberships.
    static func react(to events: inout DomainEvents, orderReads: inout OrderInsertReads) {
        orderReads.add(LoyaltyOrderRead.self)
        events.on(OrderRecorded.self) { event, context in
            try await orderRecorded(event, in: context)
        }
        events.on(OrderCancelled.self) { event, context in
            try await orderCancelled(event, in: context)
        }
        events.on(CustomersMerged.self) { event, context in
            try await MemberStore.moveMemberships(from: event.merged, to: event.survivor, on: context.connection)
        }
    }
}
