/// What care does when customers and orders change: a merge moves the merged customer's complaints
/// to the survivor; an erasure removes what the customer said, keeping the times for the
/// service-level figures; an order with travel dates gets its trip's touchpoints, and a cancelled
/// one loses those still pending; a due touchpoint records the message queued for it.
enum Care {
    static func react(to events: inout DomainEvents) {
        events.on(CustomersMerged.self) { event, context in
            try await ComplaintStore.move(customer: event.merged, to: event.survivor, on: context.connection)
        }
        events.on(CustomerErased.self) { event, context in
            try await ComplaintStore.erase(customer: event.customerID, on: context.connection)
        }
        events.on(OrderRecorded.self) { event, context in
            try TouchpointStore.schedule(event.order, tenant: context.tenant, on: context.connection)
        }
        events.on(OrderCancelled.self) { event, context in
            try TouchpointStore.withdraw(order: event.order.id, on: context.connection)
        }
        events.on(ReferencedMessageQueued.self) { event, context in
            guard event.reference.hasPrefix("touchpoint:"), let id = Int64(event.reference.dropFirst(11)) else {
                return
            }
            try await TouchpointStore.settle(
                id, state: event.messageID == nil ? .skipped : .sent, reason: event.refusal, message: event.messageID,
                on: context.connection)
        }
    }
}
