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

    /// Runs `body` in a transaction on one connection: `BEGIN` goes with the first pipeline `body`
    /// sends, `COMMIT` with the one it marks as the last (or on its own when none is); an error rolls
    /// back.
    public func transaction<Result: Sendable>(_ body: (PQTransaction) async throws -> Result) async throws -> Result {
        try await withConnection { connection in
            let transaction = PQTransaction(connection: connection)
            do {
                let result = try await body(transaction)
                if !transaction.committed { _ = try await transaction.run([], commit: true) }
                return result
            } catch {
                if transaction.begun, connection.inTransaction {
                    _ = try? await connection.pipeline([PQTransaction.rollback])
                }
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

/// A transaction on one pooled connection (see `PQPool.transaction`).
public final class PQTransaction: @unchecked Sendable {
    static let begin = PQStatement(prepared: "BEGIN")
    static let commit = PQStatement(prepared: "COMMIT")
    static let rollback = PQStatement(prepared: "ROLLBACK")

    let connection: PQConnection
    private(set) var begun = false
    private(set) var committed = false

    init(connection: PQConnection) {
        self.connection = connection
    }

    /// Sends `statements` in one pipeline (after `BEGIN` when it is the first, before `COMMIT` when
    /// `commit`) and returns their rows, one `PQRows` per statement.
    public func run(_ statements: [PQStatement], commit: Bool = false) async throws -> [PQRows] {
        precondition(!committed, "the transaction has ended")
        let first = begun ? [] : [Self.begin]
        begun = true
        if commit { committed = true }
        var rows: [PQRows]
        do {
            rows = try await connection.pipeline(first + statements + (commit ? [Self.commit] : []))
        } catch let failure as PQPipelineFailure where !first.isEmpty {
            // Places as the caller counts them, without the `BEGIN` sent first.
            throw PQPipelineFailure(
                error: failure.error, index: failure.index - 1, rows: Array(failure.rows.dropFirst()))
        }
        if !first.isEmpty { rows.removeFirst() }
        if commit { rows.removeLast() }
        return rows
    }
}
