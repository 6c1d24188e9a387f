import Foundation
public import Logging
public import ServiceLifecycle
import Synchronization

/// A pool of libpq connections: at most `maximum` open, opened on demand, handed to waiters in the
/// order they came. A connection that broke, that has lived longer than `lifetime`, or that has
/// worked in more than `tenants` tenants' schemas (a backend's catalog and relation caches keep an
/// entry for every table of every schema it touched, about a quarter of a megabyte per tenant, and
/// never let go) is closed when it comes back and its place given to the next waiter. A wait for a
/// connection is bounded when the task's `ConnectionWait.limit` is set (then `DatabaseUnavailable`,
/// a 503).
public final class PQPool: Sendable, Service {
    private struct Waiter {
        let id: Int
        /// Resumed with a connection, or with `nil`: a place to open one.
        let continuation: CheckedContinuation<PQConnection?, any Error>
    }

    private struct State {
        var idle: [PQConnection] = []
        var open = 0
        var waiters: [Waiter] = []
        var nextWaiter = 0
        var closed = false
    }

    /// What the pool holds at a moment (for metrics and tests).
    public struct Gauges: Sendable, Equatable {
        public let open: Int
        public let idle: Int
        public let waiting: Int
    }

    /// Every round trip the pool's connections made.
    public let roundTrips = PQRoundTrips()

    private let keywords: [(String, String)]
    public let maximum: Int
    public let lifetime: Duration
    /// How many tenants' schemas a connection may work in before it is replaced.
    public let tenants: Int
    private let state = Mutex(State())

    public init(
        keywords: [(String, String)], maximum: Int, lifetime: Duration = .seconds(1800), tenants: Int = 1000
    ) {
        self.keywords = keywords
        self.maximum = maximum
        self.lifetime = lifetime
        self.tenants = tenants
    }

    /// A pool for `settings` (nothing is opened until a connection is needed).
    public convenience init(_ settings: DatabaseSettings, maximum: Int) {
        self.init(keywords: Self.keywords(for: settings), maximum: maximum)
    }

    /// libpq's keywords for `settings`; what they leave out libpq reads from `PG*` variables and
    /// service files itself.
    public static func keywords(for settings: DatabaseSettings, applicationName: String = "itinera") -> [(
        String, String
    )] {
        var keywords = [
            ("host", settings.host), ("port", String(settings.port)), ("user", settings.user),
            ("dbname", settings.database), ("sslmode", settings.sslMode.rawValue),
            ("application_name", applicationName), ("connect_timeout", "5"),
            // TCP keep-alives find a connection that died while idle (ignored on a unix socket).
            ("keepalives", "1"), ("keepalives_idle", "30"), ("keepalives_interval", "10"), ("keepalives_count", "3"),
            // A lock is never waited on without end (a 503 after it); migrations set their own.
            ("options", "-c lock_timeout=\(DatabaseSettings.lockTimeout)"),
        ]
        if let password = settings.password { keywords.append(("password", password)) }
        if let root = settings.sslRootCertificate { keywords.append(("sslrootcert", root)) }
        return keywords
    }

    public var gauges: Gauges {
        state.withLock { Gauges(open: $0.open, idle: $0.idle.count, waiting: $0.waiters.count) }
    }

    /// Waits for the service group to stop, then closes the idle connections and refuses new leases.
    public func run() async throws {
        try? await gracefulShutdown()
        close()
    }

    /// Closes the idle connections; connections in use close when they come back.
    public func close() {
        let idle = state.withLock { state in
            state.closed = true
            let idle = state.idle
            state.open -= idle.count
            state.idle = []
            return idle
        }
        _ = idle
    }

    /// Runs `body` with a connection of the pool, waiting at most the task's `ConnectionWait.limit`.
    public func withConnection<Result: Sendable>(_ body: (PQConnection) async throws -> Result) async throws
        -> Result
    {
        try await withConnection(waitingAtMost: ConnectionWait.limit, body)
    }

    /// Runs `body` with a connection of the pool, waiting at most `wait` for it (when set).
    public func withConnection<Result: Sendable>(
        waitingAtMost wait: Duration?, _ body: (PQConnection) async throws -> Result
    ) async throws -> Result {
        let connection = try await lease(waitingAtMost: wait)
        do {
            let result = try await body(connection)
            release(connection)
            return result
        } catch {
            release(connection)
            throw error
        }
    }

    /// Runs `body` in a transaction on one connection: `BEGIN` goes with the first statements `body`
    /// sends, `COMMIT` after it returns (unless a pipeline of `body` committed); an error rolls back.
    public func transaction<Result: Sendable>(
        isolation: TransactionIsolation = .readCommitted, _ body: (PQConnection) async throws -> Result
    ) async throws -> Result {
        try await withConnection { connection in
            connection.begin(isolation)
            do {
                let result = try await body(connection)
                if connection.inTransactionBlock { try await connection.commit() }
                return result
            } catch {
                try? await connection.rollback()
                throw error
            }
        }
    }

    /// `transaction(isolation:_:)`; `logger` names the caller.
    public func transaction<Result: Sendable>(
        logger: Logger, isolation: TransactionIsolation = .readCommitted,
        _ body: (PQConnection) async throws -> Result
    ) async throws -> Result {
        try await transaction(isolation: isolation, body)
    }

    /// Runs one statement on a pooled connection, outside any other transaction.
    @discardableResult
    public func query(_ statement: PQStatement, logger: Logger, file: String = #fileID, line: Int = #line)
        async throws -> PQRows
    {
        try await withConnection { try await $0.query(statement) }
    }

    /// Runs one statement whose rows are not needed on a pooled connection.
    public func execute(_ statement: PQStatement, logger: Logger, file: String = #fileID, line: Int = #line)
        async throws
    {
        _ = try await query(statement, logger: logger)
    }

    private func lease(waitingAtMost wait: Duration?) async throws -> PQConnection {
        enum Next {
            case use(PQConnection)
            case open
            case wait(Int)
            case closed
        }
        let next: Next = state.withLock { state in
            if state.closed { return .closed }
            if let connection = state.idle.popLast() { return .use(connection) }
            if state.open < maximum {
                state.open += 1
                return .open
            }
            state.nextWaiter += 1
            return .wait(state.nextWaiter)
        }
        switch next {
        case .use(let connection): return connection
        case .open: return try await open()
        case .closed: throw DatabaseUnavailable("The database pool is closed: the server is shutting down.")
        case .wait(let id):
            // An event-loop timer bounds the wait (a sleeping task per waiter cost a tenth of the
            // lightest request's throughput under a saturated pool: see `LeaseDeadline`).
            let deadline = LeaseDeadline()
            let handed = try await withCheckedThrowingContinuation { continuation in
                state.withLock { $0.waiters.append(Waiter(id: id, continuation: continuation)) }
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
            }
            deadline.leased()
            if let handed { return handed }
            return try await open()
        }
    }

    /// Opens a connection in a place already counted in `open`.
    private func open() async throws -> PQConnection {
        do {
            return try await PQConnection.connect(keywords, roundTrips: roundTrips)
        } catch {
            dropPlace()
            throw error
        }
    }

    private func release(_ connection: PQConnection) {
        guard connection.isOpen, !connection.inTransaction, ContinuousClock.now - connection.openedAt < lifetime,
            connection.tenantsServed.count <= tenants
        else {
            dropPlace()
            return
        }
        let waiter: Waiter? = state.withLock { state in
            if state.closed {
                state.open -= 1
                return nil
            }
            if !state.waiters.isEmpty { return state.waiters.removeFirst() }
            state.idle.append(connection)
            return nil
        }
        waiter?.continuation.resume(returning: connection)
    }

    private func dropPlace() {
        let waiter: Waiter? = state.withLock { state in
            if !state.waiters.isEmpty, !state.closed { return state.waiters.removeFirst() }
            state.open -= 1
            return nil
        }
        waiter?.continuation.resume(returning: nil)
    }
}

/// The round trips of a pool's connections (one per pipeline, one per `COPY`), for the gauges.
public final class PQRoundTrips: Sendable {
    private let count = Atomic<Int>(0)

    public init() {}

    func add() { count.add(1, ordering: .relaxed) }

    public var total: Int { count.load(ordering: .relaxed) }
}
