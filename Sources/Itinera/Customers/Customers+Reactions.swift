import Foundation

/// What the customer data platform does when other capabilities act: a customer who followed a
/// message's unsubscribe link has their consent withdrawn, on the timeline as any consent is.
enum Customers {
    static func react(to events: inout DomainEvents) {
        events.on(UnsubscribeRequested.self) { event, context in
            guard let channel = Consent.Channel(rawValue: event.channel),
                let purpose = Consent.Purpose(rawValue: event.purpose)
            else { return }
            try await CustomerStore.record(
                [
                    Consent(
                        channel: channel, purpose: purpose, granted: false, recordedAt: Date(),
                        source: "unsubscribe link of message \(event.messageID)")
                ], for: event.customerID, on: context.connection)
        }
    }
}
