import Synchronization

/// A pool of libpq connections: at most `maximum` open, opened on demand, handed to waiters in the
/// order they came; a connection that broke is dropped and its place given to the next waiter.
public final class PQPool: Sendable {
    private struct State {
        var idle: [PQConnection] = []
        var open = 0
        /// A waiter is resumed with a connection, or with `nil`: a place to open one.
        var waiters: [CheckedContinuation<PQConnection?, any Error>] = []
    }

    private let keywords: [(String, String)]
    public let maximum: Int
    private let state = Mutex(State())

    public init(keywords: [(String, String)], maximum: Int) {
        self.keywords = keywords
        self.maximum = maximum
    }

    /// A pool for `settings` (nothing is opened until a connection is needed).
    public convenience init(_ settings: DatabaseSettings, maximum: Int) {
        self.init(keywords: Self.keywords(for: settings), maximum: maximum)
    }

    /// libpq's keywords for `settings`.
    public static func keywords(for settings: DatabaseSettings, applicationName: String = "itinera") -> [(
        String, String
    )] {
        var keywords = [
            ("host", settings.host), ("port", String(settings.port)), ("user", settings.user),
            ("dbname", settings.database), ("sslmode", settings.sslMode.rawValue),
            ("application_name", applicationName), ("options", "-c lock_timeout=\(DatabaseSettings.lockTimeout)"),
        ]
        if let password = settings.password { keywords.append(("password", password)) }
        if let root = settings.sslRootCertificate { keywords.append(("sslrootcert", root)) }
        return keywords
    }

    public func withConnection<Result: Sendable>(_ body: (PQConnection) async throws -> Result) async throws
        -> Result
    {
        let connection = try await lease()
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

    private func lease() async throws -> PQConnection {
        enum Next {
            case use(PQConnection)
            case open
            case wait
        }
        let next: Next = state.withLock { state in
            if let connection = state.idle.popLast() { return .use(connection) }
            if state.open < maximum {
                state.open += 1
                return .open
            }
            return .wait
        }
        switch next {
        case .use(let connection): return connection
        case .open: return try await open()
        case .wait:
            let handed = try await withCheckedThrowingContinuation { continuation in
                state.withLock { $0.waiters.append(continuation) }
            }
            if let handed { return handed }
            return try await open()
        }
    }

    /// Opens a connection in a place already counted in `open`.
    private func open() async throws -> PQConnection {
        do {
            return try await PQConnection.connect(keywords)
        } catch {
            dropPlace()
            throw error
        }
    }

    private func release(_ connection: PQConnection) {
        guard connection.isOpen, !connection.inTransaction else {
            dropPlace()
            return
        }
        let waiter: CheckedContinuation<PQConnection?, any Error>? = state.withLock { state in
            if !state.waiters.isEmpty { return state.waiters.removeFirst() }
            state.idle.append(connection)
            return nil
        }
        waiter?.resume(returning: connection)
    }

    private func dropPlace() {
        let waiter: CheckedContinuation<PQConnection?, any Error>? = state.withLock { state in
            if !state.waiters.isEmpty { return state.waiters.removeFirst() }
            state.open -= 1
            return nil
        }
        waiter?.resume(returning: nil)
    }
}
