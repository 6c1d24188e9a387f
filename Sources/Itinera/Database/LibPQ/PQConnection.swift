import CLibPQ
import Dispatch
import Foundation

/// A statement of a pipeline failed: the statements after it did not run.
public struct PQPipelineFailure: Error, Sendable, CustomStringConvertible {
    public let error: PQError
    /// The failed statement's place in the pipeline.
    public let index: Int
    /// The rows of the statements before it.
    public let rows: [PQRows]

    public var description: String { "statement \(index) of the pipeline failed: \(error)" }
}

/// One PostgreSQL connection through libpq in pipeline mode.
///
/// Each connection has a serial queue of its own, on which every libpq call for it runs: libpq's
/// blocking calls wait there, never on an event loop or in Swift's cooperative pool, and the awaiting
/// task resumes when the answers are in. A pipeline sends all of its statements and one `Sync` in
/// one flush, then reads every answer: a transaction whose statements do not depend on each other's
/// answers costs one round trip.
public final class PQConnection: @unchecked Sendable {
    private let connection: OpaquePointer
    private let queue: DispatchQueue
    /// The statements prepared on this connection; read and written only on `queue`.
    private var prepared: Set<String> = []
    public let openedAt = ContinuousClock.now

    private init(connection: OpaquePointer, queue: DispatchQueue) {
        self.connection = connection
        self.queue = queue
    }

    deinit { PQfinish(connection) }

    /// Opens a connection with libpq's keywords (`host`, `port`, `dbname`, `user`, `password`,
    /// `sslmode`, …); what they leave out libpq reads from `PG*` variables and service files.
    public static func connect(_ keywords: [(String, String)]) async throws -> PQConnection {
        let queue = DispatchQueue(label: "itinera.libpq")
        return try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try open(keywords, queue: queue) })
            }
        }
    }

    private static func open(_ keywords: [(String, String)], queue: DispatchQueue) throws -> PQConnection {
        let names = keywords.map { strdup($0.0) } + [nil]
        let values = keywords.map { strdup($0.1) } + [nil]
        defer { (names + values).forEach { free($0) } }
        let connection = names.map { UnsafePointer($0) }.withUnsafeBufferPointer { names in
            values.map { UnsafePointer($0) }.withUnsafeBufferPointer { values in
                PQconnectdbParams(names.baseAddress, values.baseAddress, 0)
            }
        }
        guard let connection else { throw PQError(connectionMessage: "libpq could not allocate a connection") }
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = String(cString: PQerrorMessage(connection))
            PQfinish(connection)
            throw PQError(connectionMessage: message.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        guard PQenterPipelineMode(connection) == 1 else {
            PQfinish(connection)
            throw PQError(connectionMessage: "the connection would not enter pipeline mode")
        }
        return PQConnection(connection: connection, queue: queue)
    }

    /// Whether the connection is still usable.
    public var isOpen: Bool { queue.sync { PQstatus(connection) == CONNECTION_OK } }

    /// Whether a transaction is open (or failed) on the connection.
    var inTransaction: Bool { queue.sync { PQtransactionStatus(connection) != PQTRANS_IDLE } }

    /// Sends `statements` and one `Sync` in one flush and reads every answer. When a statement fails,
    /// the ones after it do not run and a `PQPipelineFailure` is thrown once all answers are read,
    /// with the rows of the statements before it; a transaction it was in is left failed, for the
    /// caller to roll back. A broken connection throws `PQError`.
    public func pipeline(_ statements: [PQStatement]) async throws -> [PQRows] {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try self.runPipeline(statements) })
            }
        }
    }

    private func runPipeline(_ statements: [PQStatement]) throws -> [PQRows] {
        var preparing: [String] = []
        for statement in statements {
            if !prepared.contains(statement.name), !preparing.contains(statement.name) {
                let sent = statement.types.withUnsafeBufferPointer { types in
                    PQsendPrepare(connection, statement.name, statement.sql, Int32(types.count), types.baseAddress)
                }
                guard sent == 1 else { throw connectionError() }
                preparing.append(statement.name)
            }
            guard send(statement) == 1 else { throw connectionError() }
        }
        guard PQpipelineSync(connection) == 1 else { throw connectionError() }

        // Each prepare and each statement answers with one result, then NULL; the Sync answers last.
        var rows: [PQRows] = []
        var failure: PQPipelineFailure?
        for (index, statement) in statements.enumerated() {
            if let index = preparing.firstIndex(of: statement.name) {
                preparing.remove(at: index)
                let result = try nextAnswer()
                switch PQresultStatus(result) {
                case PGRES_COMMAND_OK: prepared.insert(statement.name)
                case PGRES_FATAL_ERROR:
                    failure = failure ?? PQPipelineFailure(error: PQError(result: result), index: index, rows: rows)
                default: break
                }
                PQclear(result)
            }
            let result = try nextAnswer()
            switch PQresultStatus(result) {
            case PGRES_TUPLES_OK, PGRES_COMMAND_OK:
                rows.append(PQRows(result))
            case PGRES_FATAL_ERROR:
                failure = failure ?? PQPipelineFailure(error: PQError(result: result), index: index, rows: rows)
                PQclear(result)
            default:
                PQclear(result)
            }
        }
        guard let sync = PQgetResult(connection) else { throw connectionError() }
        let synced = PQresultStatus(sync) == PGRES_PIPELINE_SYNC
        PQclear(sync)
        guard synced else { throw connectionError() }
        if let failure { throw failure }
        return rows
    }

    /// The first result of the next command of the pipeline, reading past its terminating NULL.
    private func nextAnswer() throws -> OpaquePointer {
        guard let result = PQgetResult(connection) else { throw connectionError() }
        while let extra = PQgetResult(connection) { PQclear(extra) }
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
                    PQsendQueryPrepared(
                        connection, statement.name, Int32(count), values.baseAddress, lengths.baseAddress,
                        formats.baseAddress, 1)
                }
            }
        }
    }

    private func connectionError() -> PQError {
        PQError(
            connectionMessage: String(cString: PQerrorMessage(connection)).trimmingCharacters(
                in: .whitespacesAndNewlines))
    }
}
