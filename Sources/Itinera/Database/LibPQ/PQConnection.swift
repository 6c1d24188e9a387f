import CLibPQ
import Foundation

/// One PostgreSQL connection through libpq in pipeline mode, without blocking.
///
/// Every libpq call runs in the task that holds the connection (a pool leases it to one task at a
/// time); when libpq would wait for the socket, the task suspends and `SocketPoller` resumes it once
/// the socket is ready, so no thread blocks on the database. A pipeline queues all of its statements
/// and one `Sync`, flushes them together and reads every answer: a transaction whose statements do
/// not depend on each other's answers costs one round trip. (Blocking libpq calls on a serial queue
/// per connection were measured against this design: 11% fewer tenant reads per second and a higher
/// p99; see decision 0011.)
public final class PQConnection: @unchecked Sendable {
    let connection: OpaquePointer
    /// The statements prepared on this connection.
    private var prepared: Set<String> = []
    /// A `BEGIN` not sent yet: it goes with the transaction's first statements.
    var pendingBegin: PQStatement?
    /// Whether `begin` opened a transaction that has not ended.
    private(set) var inTransactionBlock = false
    /// Statements whose answers nobody waits for (`sendWithNext`): they go before the next flush's own.
    private var deferred: [PQStatement] = []
    public let openedAt = ContinuousClock.now
    /// The tenants whose schemas this connection's backend has worked in (each leaves its catalog
    /// and relation cache entries there for the backend's life); counted up to a bound.
    private(set) var tenantsServed: Set<UUID> = []

    /// Notes that this connection works in `tenant`'s schema (counting stops past `bound`).
    func noteTenant(_ tenant: UUID, bound: Int = 4096) {
        if tenantsServed.count <= bound { tenantsServed.insert(tenant) }
    }

    /// Counts this connection's round trips into its pool's total.
    let roundTrips: PQRoundTrips?
    /// What a cancel request for this connection's statements needs (made once it is open).
    private var cancelKey: PQCancelKey?

    private init(connection: OpaquePointer, roundTrips: PQRoundTrips?) {
        self.connection = connection
        self.roundTrips = roundTrips
    }

    deinit {
        SocketPoller.shared.forget(PQsocket(connection))
        PQfinish(connection)
    }

    /// Opens a connection with libpq's keywords (`host`, `port`, `dbname`, `user`, `password`,
    /// `sslmode`, …); what they leave out libpq reads from `PG*` variables and service files.
    public static func connect(_ keywords: [(String, String)], roundTrips: PQRoundTrips? = nil) async throws
        -> PQConnection
    {
        let names = keywords.map { strdup($0.0) } + [nil]
        let values = keywords.map { strdup($0.1) } + [nil]
        defer { (names + values).forEach { free($0) } }
        let started = names.map { UnsafePointer($0) }.withUnsafeBufferPointer { names in
            values.map { UnsafePointer($0) }.withUnsafeBufferPointer { values in
                PQconnectStartParams(names.baseAddress, values.baseAddress, 0)
            }
        }
        guard let started else { throw PQError(connectionMessage: "libpq could not allocate a connection") }
        // From here the connection value owns `started` and closes it if opening fails.
        let connection = PQConnection(connection: started, roundTrips: roundTrips)
        var status = PQstatus(started) == CONNECTION_BAD ? PGRES_POLLING_FAILED : PGRES_POLLING_WRITING
        while status != PGRES_POLLING_OK {
            switch status {
            case PGRES_POLLING_READING: try await SocketPoller.shared.wait(for: PQsocket(started))
            case PGRES_POLLING_WRITING: try await SocketPoller.shared.wait(for: PQsocket(started), writable: true)
            default: throw connection.connectionError()
            }
            status = PQconnectPoll(started)
        }
        guard PQsetnonblocking(started, 1) == 0, PQenterPipelineMode(started) == 1 else {
            throw PQError(connectionMessage: "the connection would not enter non-blocking pipeline mode")
        }
        connection.cancelKey = PQCancelKey(PQgetCancel(started))
        return connection
    }

    static let beginReadCommitted = PQStatement(prepared: "BEGIN")
    static let beginRepeatableRead = PQStatement(prepared: "BEGIN ISOLATION LEVEL REPEATABLE READ")
    static let commitStatement = PQStatement(prepared: "COMMIT")
    static let rollbackStatement = PQStatement(prepared: "ROLLBACK")

    /// Opens a transaction; its `BEGIN` is sent with the first statements that follow.
    public func begin(_ isolation: TransactionIsolation = .readCommitted) {
        precondition(!inTransactionBlock, "a transaction is already open on this connection")
        pendingBegin = isolation == .readCommitted ? Self.beginReadCommitted : Self.beginRepeatableRead
        inTransactionBlock = true
    }

    /// Commits the open transaction (nothing to send when no statement ran in it).
    public func commit() async throws {
        if pendingBegin != nil, deferred.isEmpty {
            pendingBegin = nil
            inTransactionBlock = false
            return
        }
        _ = try await pipeline([], commit: true)
    }

    /// Queues `statement` to run in the open transaction with the next statements sent (at the latest
    /// with `COMMIT`), without a round trip of its own: for writes whose answer nobody reads, such as
    /// an event appended to the outbox. Its failure fails that flush, and so the transaction.
    public func sendWithNext(_ statement: PQStatement) {
        precondition(inTransactionBlock, "a statement sent with the next ones needs an open transaction")
        deferred.append(statement)
    }

    /// Rolls the open transaction back, if one is open on the server.
    public func rollback() async throws {
        inTransactionBlock = false
        deferred = []
        if pendingBegin != nil {
            pendingBegin = nil
            return
        }
        if inTransaction { _ = try await pipeline([Self.rollbackStatement]) }
    }

    /// Runs one statement (a pipeline of one); its failure throws its `PQError`.
    @discardableResult
    public func query(_ statement: PQStatement) async throws -> PQRows {
        do {
            return try await pipeline([statement])[0]
        } catch let failure as PQPipelineFailure {
            throw failure.error
        }
    }

    /// A cancel request was sent for one of its statements: one that reaches the server late could
    /// cancel a later statement, so the pool closes the connection rather than lend it again.
    private var cancelSent = false

    /// Whether the connection is still usable.
    public var isOpen: Bool { !cancelSent && PQstatus(connection) == CONNECTION_OK }

    /// Whether a transaction is open (or failed) on the connection.
    var inTransaction: Bool { PQtransactionStatus(connection) != PQTRANS_IDLE }

    /// Sends `statements` and one `Sync` in one flush and reads every answer. When a statement fails,
    /// the ones after it do not run and a `PQPipelineFailure` is thrown once all answers are read,
    /// with the rows of the statements before it; a transaction it was in is left failed, for the
    /// caller to roll back. A broken connection throws `PQError`.
    /// With `commit`, `COMMIT` goes last and ends the transaction `begin` opened; a `BEGIN` not yet
    /// sent goes first. Either way the rows returned are those of `statements`.
    public func pipeline(_ statements: [PQStatement], commit: Bool = false) async throws -> [PQRows] {
        let before = (pendingBegin.map { [$0] } ?? []) + deferred
        pendingBegin = nil
        deferred = []
        if commit { inTransactionBlock = false }
        let sent = before + statements + (commit ? [Self.commitStatement] : [])
        do {
            var rows = try await send(sent)
            rows.removeFirst(before.count)
            if commit { rows.removeLast() }
            return rows
        } catch let failure as PQPipelineFailure where !before.isEmpty {
            // Places as the caller counts them, without the `BEGIN` and the deferred statements sent
            // first; a failure of one of those is its own.
            guard failure.index >= before.count else { throw failure.error }
            throw PQPipelineFailure(
                error: failure.error, index: failure.index - before.count,
                rows: Array(failure.rows.dropFirst(before.count)))
        }
    }

    func send(_ statements: [PQStatement]) async throws -> [PQRows] {
        roundTrips?.add()
        var preparing: [String] = []
        for statement in statements {
            if let name = statement.name, !prepared.contains(name), !preparing.contains(name) {
                let sent = statement.types.withUnsafeBufferPointer { types in
                    PQsendPrepare(connection, name, statement.sql, Int32(types.count), types.baseAddress)
                }
                guard sent == 1 else { throw connectionError() }
                preparing.append(name)
            }
            guard send(statement) == 1 else { throw connectionError() }
        }
        guard PQpipelineSync(connection) == 1 else { throw connectionError() }
        try await flush()
        var reader = PipelineReader(statements: statements, preparing: preparing)
        // A task cancelled while its statements run asks the server to cancel them and still reads
        // every answer; the cancelled statement then throws `CancellationError`, and the connection
        // is not lent again (see `cancelSent`). A task already cancelled when it sends (cleaning up after its
        // cancellation: a rollback, a job put back in the queue) has its statements run to the end.
        let canceller = Task.isCancelled ? nil : PQCanceller(cancelKey)
        while !reader.done {
            if PQisBusy(connection) == 1 {
                if let canceller {
                    try await withTaskCancellationHandler {
                        try await SocketPoller.shared.wait(for: PQsocket(connection))
                    } onCancel: {
                        canceller.cancel()
                    }
                } else {
                    try await SocketPoller.shared.wait(for: PQsocket(connection))
                }
                guard PQconsumeInput(connection) == 1 else { throw connectionError() }
                continue
            }
            guard reader.take(PQgetResult(connection)) else { throw connectionError() }
        }
        prepared.formUnion(reader.prepared)
        if canceller?.sent == true { cancelSent = true }
        if let failure = reader.failure {
            if failure.error.sqlState == "57014", cancelSent { throw CancellationError() }
            throw failure
        }
        return reader.rows
    }

    func flush() async throws {
        while true {
            let flushed = PQflush(connection)
            if flushed == 0 { return }
            guard flushed == 1 else { throw connectionError() }
            try await SocketPoller.shared.wait(for: PQsocket(connection), writable: true)
        }
    }

    /// The next result outside pipeline mode, waiting for the socket while libpq would block.
    func nextResultOrNil() async throws -> OpaquePointer? {
        while PQisBusy(connection) == 1 {
            try await SocketPoller.shared.wait(for: PQsocket(connection))
            guard PQconsumeInput(connection) == 1 else { throw connectionError() }
        }
        return PQgetResult(connection)
    }

    func nextResult() async throws -> OpaquePointer {
        guard let result = try await nextResultOrNil() else { throw connectionError() }
        return result
    }

    private func send(_ statement: PQStatement) -> Int32 {
        let count = statement.values.count
        let pointers = statement.values.map { buffer -> UnsafeMutablePointer<CChar>? in
            guard let buffer else { return nil }
            let pointer = UnsafeMutablePointer<CChar>.allocate(capacity: max(buffer.readableBytes, 1))
            buffer.withUnsafeReadableBytes { bytes in
                UnsafeMutableRawPointer(pointer).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
            }
            return pointer
        }
        defer { pointers.forEach { $0?.deallocate() } }
        let lengths = statement.values.map { Int32($0?.readableBytes ?? 0) }
        return pointers.map { UnsafePointer($0) }.withUnsafeBufferPointer { values in
            lengths.withUnsafeBufferPointer { lengths in
                statement.formats.withUnsafeBufferPointer { formats in
                    if let name = statement.name {
                        return PQsendQueryPrepared(
                            connection, name, Int32(count), values.baseAddress, lengths.baseAddress,
                            formats.baseAddress, 1)
                    }
                    return statement.types.withUnsafeBufferPointer { types in
                        PQsendQueryParams(
                            connection, statement.sql, Int32(count), types.baseAddress, values.baseAddress,
                            lengths.baseAddress, formats.baseAddress, 1)
                    }
                }
            }
        }
    }

    func connectionError() -> PQError {
        PQError(
            connectionMessage: String(cString: PQerrorMessage(connection)).trimmingCharacters(
                in: .whitespacesAndNewlines))
    }
}
