import CoreMetrics
import Synchronization

/// Counts of the pool's events, also recorded as `itinera_db_pool_events_total{event}`.
public final class PQPoolEvents: Sendable {
    public enum Event: String, Sendable, CaseIterable {
        /// A waiter whose own places stayed busy for the pool's patience took any connection.
        case widened
        /// A connection closed on return because it had worked in more tenants than the budget.
        case replacedForTenants = "replaced_for_tenants"
        /// A connection closed on return because it had lived its lifetime.
        case replacedForLifetime = "replaced_for_lifetime"
        /// A connection that came back broken or still in a transaction.
        case broken
    }

    private let counts = Mutex<[Event: Int]>([:])

    public init() {}

    func note(_ event: Event) {
        counts.withLock { $0[event, default: 0] += 1 }
        Counter(label: "itinera_db_pool_events_total", dimensions: [("event", event.rawValue)]).increment()
    }

    public subscript(_ event: Event) -> Int { counts.withLock { $0[event, default: 0] } }
}

/// The round trips of a pool's connections (one per pipeline, one per `COPY`), for the gauges.
public final class PQRoundTrips: Sendable {
    private let count = Atomic<Int>(0)

    public init() {}

    func add() { count.add(1, ordering: .relaxed) }

    public var total: Int { count.load(ordering: .relaxed) }
}
