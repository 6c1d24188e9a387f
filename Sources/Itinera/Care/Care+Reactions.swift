/// What care does when customers change: a merge moves the merged customer's complaints to the
/// survivor; an erasure removes what the customer said, keeping the times for the service-level
/// figures.
enum Care {
    static func react(to events: inout DomainEvents) {
        events.on(CustomersMerged.self) { event, context in
            try await ComplaintStore.move(customer: event.merged, to: event.survivor, on: context.connection)
        }
        events.on(CustomerErased.self) { event, context in
            try await ComplaintStore.erase(customer: event.customerID, on: context.connection)
        }
    }
}
