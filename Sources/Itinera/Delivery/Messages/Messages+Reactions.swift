/// What messages do when customers change: a merge moves the merged customer's messages to the
/// survivor, an erasure removes their addresses and text.
enum Messages {
    static func react(to events: inout DomainEvents) {
        events.on(CustomersMerged.self) { event, context in
            try await MessageStore.move(customer: event.merged, to: event.survivor, on: context.connection)
        }
        events.on(CustomerErased.self) { event, context in
            try await MessageStore.erase(customer: event.customerID, on: context.connection)
        }
    }
}
