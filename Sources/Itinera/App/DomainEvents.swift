/// Something a capability has done inside a tenant transaction that other capabilities may react
/// to in the same transaction: an order recorded, a customer merged, a tier changed.
protocol DomainEvent: Sendable {}

/// Where a reaction runs: the transaction that published the event, its tenant, and the reactions
/// (so that a reaction's own change can be published in turn).
struct EventContext: Sendable {
    let connection: TenantConnection
    let tenant: Tenant
    let events: DomainEvents

    init(connection: TenantConnection, tenant: Tenant, events: DomainEvents) {
        self.connection = connection
        self.tenant = tenant
        self.events = events
    }

    /// Publishes `event` in this context's transaction.
    func publish<Event: DomainEvent>(_ event: Event) async throws {
        try await events.publish(event, in: self)
    }
}

/// The reactions to domain events, which each capability adds at wiring time.
///
/// A capability that does something publishes it here and knows nothing of who reacts; the
/// reactions run in the order they were added, inside the publisher's transaction, so that what they
/// write commits or rolls back with the change itself, and a reaction that throws (a 409, say)
/// refuses the whole change.
struct DomainEvents: Sendable {
    typealias Reaction = @Sendable (any DomainEvent, EventContext) async throws -> Void

    private var reactions: [ObjectIdentifier: [Reaction]] = [:]

    init() {}

    /// Adds `reaction` to the reactions to events of type `Event`.
    mutating func on<Event: DomainEvent>(
        _ type: Event.Type, _ reaction: @escaping @Sendable (Event, EventContext) async throws -> Void
    ) {
        reactions[ObjectIdentifier(type), default: []].append { event, context in
            // Only events of `Event`'s own type are filed under it.
            try await reaction(event as! Event, context)
        }
    }

    /// Runs the reactions to `event`, in order, in the transaction of `context`.
    func publish<Event: DomainEvent>(_ event: Event, in context: EventContext) async throws {
        guard let reactions = reactions[ObjectIdentifier(Event.self)] else { return }
        for reaction in reactions {
            try await reaction(event, context)
        }
    }
}

/// Each capability's reactions to the others' domain events, and the reads they make in an order's
/// insert: the one list, for the HTTP server and the job workers alike.
func wireDomainEvents(_ configuration: ServerConfiguration) -> (DomainEvents, OrderInsertReads) {
    var events = DomainEvents()
    var orderReads = OrderInsertReads()
    // The outbox first: an event is appended before the events its reactions publish in turn.
    Outbox.react(to: &events, settings: configuration.webhooks)
    Loyalty.react(to: &events, orderReads: &orderReads)
    Customers.react(to: &events)
    Communities.react(to: &events)
    Campaigns.react(to: &events)
    Care.react(to: &events)
    Messages.react(to: &events, attempts: configuration.webhooks.maxAttempts)
    return (events, orderReads)
}
