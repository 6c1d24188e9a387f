public import Foundation
public import Logging
public import ServiceLifecycle
import Synchronization

/// A pool of libpq connections: at most `maximum` at work at once and at most `places` open (as many
/// by default), opened on demand, handed to waiters in the order they came. A connection that
/// broke, that has lived longer than `lifetime`, or that has worked in more than `tenants` tenants' schemas (a backend's catalog and relation caches keep an
/// entry for every table of every schema it touched, about a quarter of a megabyte per tenant, and
/// never let go) is closed when it comes back and its place given to the next waiter. A wait for a
/// connection is bounded when the task's `ConnectionWait.limit` is set (then `DatabaseUnavailable`,
/// a 503).
///
/// **Tenant affinity.** Work for a tenant known before the connection is taken (`PQPool.affinity`)
/// prefers the connections of a run of places that starts at the tenant's own place. While few
/// tenants are active the run covers every place, and the pool behaves as one shared queue (only the
/// order in which idle connections are tried differs). Once more tenants are active than a
/// connection's `tenants` budget, the run shortens so that it brings each connection about half of
/// its budget: at 10,000 active tenants over 16 places, each tenant has one place and each backend
/// keeps the caches of its own 625 tenants warm. A waiter whose places stay busy for
/// `affinityPatience` takes any connection, an idle one that has served its tenant first, so a long
/// transaction on a tenant's place delays its other work only that long.
///
/// **More places than work.** With `places` above `maximum`, more connections stay open than may
/// work at once. PostgreSQL still runs at most `maximum` of a pool's statements together, but each
/// tenant's run covers several places (at 10,000 tenants, 64 places and a budget of 1,000: three),
/// so its work rarely finds all of its own connections busy. But each place builds a tenant's
/// caches the first time it serves it, and at 10,000 tenants those builds cost more than the waits
/// saved (docs/benchmarks.md, run 6), so places default to `maximum`.
public final class PQPool: Sendable, Service {
    /// One connection's place in the pool.
    private enum Slot {
        case empty
        case idle(PQConnection)
        case busy
    }

    /// A run of `count` places from `first`, wrapping around.
    struct Places: Equatable {
        let first: Int
        let count: Int

        func ordered(of total: Int) -> some Sequence<Int> { (0..<count).lazy.map { (first + $0) % total } }
    }

    /// A connection handed over with its place; `nil`: the place is the waiter's, to open one in.
    private struct Lease {
        let slot: Int
        let connection: PQConnection?
    }

    private struct Waiter {
        let id: Int
        var places: Places
        /// The tenant whose work waits, once it has waited out the patience for its own places
        /// (it then prefers a connection that has served the tenant before).
        var widenedFor: UUID?
        let continuation: CheckedContinuation<Lease, any Error>
    }

    private struct State {
        var slots: [Slot]
        /// How many places may be busy at once, and how many are.
        let working: Int
        var busy = 0
        var waiters: [Waiter] = []
        var nextWaiter = 0
        var closed = false
        /// The tenants leased for in the current minute, and how many in the minute before.
        var seen: Set<UUID> = []
        var seenBefore = 0
        var windowStarted = ContinuousClock.now

        /// Takes the first idle connection of `places` (one that has served `warm` first, when
        /// given), else the first free place (to open one in), while fewer than `working` are busy.
        mutating func take(in places: Places, warm: UUID? = nil) -> Lease? {
            guard busy < working else { return nil }
            var idle: Int?
            var free: Int?
            for slot in places.ordered(of: slots.count) {
                switch slots[slot] {
                case .idle(let connection):
                    if warm.map(connection.tenantsServed.contains) ?? true { return lend(slot) }
                    idle = idle ?? slot
                case .empty where free == nil: free = slot
                case .empty, .busy: break
                }
            }
            return (idle ?? free).map { lend($0) }
        }

        /// Marks `slot` busy: its idle connection, or the place to open one in.
        private mutating func lend(_ slot: Int) -> Lease {
            var connection: PQConnection?
            if case .idle(let idle) = slots[slot] { connection = idle }
            slots[slot] = .busy
            busy += 1
            return Lease(slot: slot, connection: connection)
        }

        /// The busy place `slot` came back (`connection` idle in it, or `nil`: empty).
        mutating func free(_ slot: Int, keeping connection: PQConnection?) {
            slots[slot] = connection.map { .idle($0) } ?? .empty
            busy -= 1
        }

        /// Hands what is free to the waiters in the order they came, each within its own places;
        /// the grants to resume once the lock is released.
        mutating func dispatch() -> [(Waiter, Lease)] {
            guard !closed else { return [] }
            var grants: [(Waiter, Lease)] = []
            var index = 0
            while busy < working, index < waiters.count {
                if let lease = take(in: waiters[index].places, warm: waiters[index].widenedFor) {
                    grants.append((waiters.remove(at: index), lease))
                } else {
                    index += 1
                }
            }
            return grants
        }
    }

    /// What the pool holds at a moment (for metrics and tests).
    public struct Gauges: Sendable, Equatable {
        public let open: Int
        public let idle: Int
        public let waiting: Int
    }

    /// The tenant the current task works for, when it is known before a connection is taken (from
    /// the credential's last lookup, or a job's tenant): its connections are preferred.
    @TaskLocal public static var affinity: UUID?

    /// Every round trip the pool's connections made.
    public let roundTrips = PQRoundTrips()
    /// What the pool did that costs a tenant's work time: waiters that took another tenant's place,
    /// connections replaced.
    public let events = PQPoolEvents()

    private let keywords: [(String, String)]
    /// How many connections may work at once.
    public let maximum: Int
    /// How many connections may be open.
    public let places: Int
    public let lifetime: Duration
    /// How many tenants' schemas a connection may work in before it is replaced.
    public let tenants: Int
    /// How long work for a tenant waits for one of its own connections before it takes any.
    public let affinityPatience: Duration
    /// The tenant budget of a connection unless configured (`ITINERA_DB_CONNECTION_TENANTS`): the
    /// run rule gives each connection about half of it, so 20 connections keep 10,000 active
    /// tenants warm, one place each, with room for work that waited out the patience.
    public static let defaultTenants = 1000
    private let state: Mutex<State>

    public init(
        keywords: [(String, String)], maximum: Int, places: Int? = nil, lifetime: Duration = .seconds(1800),
        tenants: Int = PQPool.defaultTenants, affinityPatience: Duration = .milliseconds(10)
    ) {
        self.keywords = keywords
        self.maximum = max(1, maximum)
        self.places = max(self.maximum, places ?? maximum)
        self.lifetime = lifetime
        self.tenants = max(1, tenants)
        self.affinityPatience = affinityPatience
        self.state = Mutex(State(slots: Array(repeating: .empty, count: self.places), working: self.maximum))
    }

    /// A pool for `settings` (nothing is opened until a connection is needed).
    public convenience init(_ settings: DatabaseSettings, maximum: Int) {
        self.init(keywords: Self.keywords(for: settings), maximum: maximum)
    }

    /// libpq's keywords for `settings`; what they leave out libpq reads from `PG*` variables and
    /// service files itself.
    public static func keywords(
        for settings: DatabaseSettings, applicationName: String = "itinera",
        lockTimeout: Duration = DatabaseSettings.lockTimeout
    ) -> [(String, String)] {
        var keywords = [
            ("host", settings.host), ("port", String(settings.port)), ("user", settings.user),
            ("dbname", settings.database), ("sslmode", settings.sslMode.rawValue),
            ("application_name", applicationName), ("connect_timeout", "5"),
            // TCP keep-alives find a connection that died while idle (ignored on a unix socket).
            ("keepalives", "1"), ("keepalives_idle", "30"), ("keepalives_interval", "10"), ("keepalives_count", "3"),
            // A lock is never waited on without end (a 503 after it); migrations set their own.
            ("options", "-c lock_timeout=\(Int(lockTimeout.milliseconds))ms"),
        ]
        if let password = settings.password { keywords.append(("password", password)) }
        if let root = settings.sslRootCertificate { keywords.append(("sslrootcert", root)) }
        return keywords
    }

    public var gauges: Gauges {
        state.withLock { state in
            var open = 0
            var idle = 0
            for slot in state.slots {
                switch slot {
                case .empty: break
                case .idle: (open, idle) = (open + 1, idle + 1)
                case .busy: open += 1
                }
            }
            return Gauges(open: open, idle: idle, waiting: state.waiters.count)
        }
    }

    /// Waits for the service group to stop, then closes the idle connections and refuses new leases.
    public func run() async throws {
        try? await gracefulShutdown()
        close()
    }

    /// Closes the idle connections; connections in use close when they come back.
    public func close() {
        let idle = state.withLock { state -> [PQConnection] in
            state.closed = true
            var idle: [PQConnection] = []
            for (index, slot) in state.slots.enumerated() {
                if case .idle(let connection) = slot {
                    idle.append(connection)
                    state.slots[index] = .empty
                }
            }
            return idle
        }
        _ = idle
    }

    /// Runs `body` with a connection of the pool, waiting at most `wait` for it (when set).
    public func withConnection<Result: Sendable>(
        waitingAtMost wait: Duration?, _ body: (PQConnection) async throws -> Result
    ) async throws -> Result {
        let (slot, connection) = try await lease(waitingAtMost: wait)
        do {
            let result = try await body(connection)
            release(connection, from: slot)
            return result
        } catch {
            release(connection, from: slot)
            throw error
        }
    }

    /// The places `tenant`'s work may take a connection from (all when there is no tenant); notes
    /// the tenant as active.
    private func run(for tenant: UUID?, in state: inout State) -> Places {
        let all = Places(first: 0, count: places)
        guard let tenant, places > 1 else { return all }
        let now = ContinuousClock.now
        if now - state.windowStarted > .seconds(60) {
            state.seenBefore = state.seen.count
            state.seen.removeAll(keepingCapacity: true)
            state.windowStarted = now
        }
        state.seen.insert(tenant)
        let active = max(state.seen.count, state.seenBefore, 1)
        // No connection can pass its budget while the active tenants fit in it. Past that, each
        // connection's run brings it about half its budget, and leaves the rest for work that came
        // without a tenant (a credential's first request, sign-ups).
        let count = active <= tenants ? places : min(places, max(1, places * tenants / (2 * active)))
        return Places(first: Int(UInt(bitPattern: tenant.hashValue) % UInt(places)), count: count)
    }

    private func lease(waitingAtMost wait: Duration?) async throws -> (Int, PQConnection) {
        enum Next {
            case take(Lease)
            case wait(Int, Places)
            case closed
        }
        let affinity = Self.affinity
        let next: Next = state.withLock { state in
            if state.closed { return .closed }
            let places = run(for: affinity, in: &state)
            if let lease = state.take(in: places) { return .take(lease) }
            state.nextWaiter += 1
            return .wait(state.nextWaiter, places)
        }
        switch next {
        case .take(let lease): return try await connection(for: lease)
        case .closed: throw DatabaseUnavailable("The database pool is closed: the server is shutting down.")
        case .wait(let id, let places):
            // Event-loop timers bound the wait (a sleeping task per waiter cost a tenth of the
            // lightest request's throughput under a saturated pool: see `LeaseDeadline`).
            let deadline = LeaseDeadline()
            let patience = LeaseDeadline()
            let handed = try await withCheckedThrowingContinuation { continuation in
                // Something may have come free since the first look.
                let grants = state.withLock { state in
                    state.waiters.append(Waiter(id: id, places: places, widenedFor: nil, continuation: continuation))
                    return state.dispatch()
                }
                for (waiter, lease) in grants { waiter.continuation.resume(returning: lease) }
                if let wait {
                    deadline.arm(wait) { [self] in
                        let waiter = self.state.withLock { state -> Waiter? in
                            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                            return state.waiters.remove(at: index)
                        }
                        waiter?.continuation.resume(
                            throwing: DatabaseUnavailable("No database connection came free within \(wait)."))
                    }
                }
                if places.count < self.places, let affinity {
                    patience.arm(affinityPatience) { [self] in widen(id, for: affinity) }
                }
            }
            deadline.leased()
            patience.leased()
            return try await connection(for: handed)
        }
    }

    /// The lease's connection, or one opened in its place.
    private func connection(for lease: Lease) async throws -> (Int, PQConnection) {
        if let connection = lease.connection { return (lease.slot, connection) }
        return (lease.slot, try await open(in: lease.slot))
    }

    /// The waiter `id` waited long enough for `tenant`'s own places: it takes any connection, now if
    /// one is idle or a place is free, else the next that comes back. An idle connection that has
    /// served the tenant before (its backend still holds the tenant's caches) goes first, so a
    /// tenant that has widened once tends to find the same second connection warm, and other
    /// connections do not gather its caches towards their budgets.
    private func widen(_ id: Int, for tenant: UUID) {
        let all = Places(first: 0, count: places)
        let (widened, grants): (Bool, [(Waiter, Lease)]) = state.withLock { state in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return (false, []) }
            state.waiters[index].places = all
            state.waiters[index].widenedFor = tenant
            return (true, state.dispatch())
        }
        if widened { events.note(.widened) }
        for (waiter, lease) in grants { waiter.continuation.resume(returning: lease) }
    }

    /// Opens a connection in `slot`, a place already marked busy.
    private func open(in slot: Int) async throws -> PQConnection {
        do {
            return try await PQConnection.connect(keywords, roundTrips: roundTrips)
        } catch {
            dropPlace(slot)
            throw error
        }
    }

    private func release(_ connection: PQConnection, from slot: Int) {
        let replaced: PQPoolEvents.Event? =
            if !connection.isOpen || connection.inTransaction {
                .broken
            } else if ContinuousClock.now - connection.openedAt >= lifetime {
                .replacedForLifetime
            } else if connection.tenantsServed.count > tenants { .replacedForTenants } else { nil }
        if let replaced {
            events.note(replaced)
            dropPlace(slot)
            return
        }
        let grants = state.withLock { state in
            state.free(slot, keeping: state.closed ? nil : connection)
            return state.dispatch()
        }
        for (waiter, lease) in grants { waiter.continuation.resume(returning: lease) }
    }

    /// The connection in `slot` is gone: its place is free for the next waiter that may use it, to
    /// open a connection in.
    private func dropPlace(_ slot: Int) {
        let grants = state.withLock { state in
            state.free(slot, keeping: nil)
            return state.dispatch()
        }
        for (waiter, lease) in grants { waiter.continuation.resume(returning: lease) }
    }
}
