/// What the community does when customers are merged: the merged customer's memberships, history and
/// registrations become the survivor's. A registration both had for one event keeps the survivor's;
/// the other's is cancelled as any cancellation is (its seat goes to the first on the waiting list).
enum Communities {
    static func react(to events: inout DomainEvents) {
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
