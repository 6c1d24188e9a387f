import CLibPQ
import Foundation
public import NIOCore

extension PQConnection {
    /// Copies rows into `table` with `COPY … FROM STDIN` (text format) inside the open transaction:
    /// `body` writes the data. COPY cannot run in pipeline mode, so the connection leaves it for the
    /// copy and enters it again after.
    public func copyFrom(
        table: String, columns: [String], _ body: (PQCopyWriter) async throws -> Void
    ) async throws {
        if let begin = pendingBegin {
            pendingBegin = nil
            _ = try await send([begin])
        }
        guard PQexitPipelineMode(connection) == 1 else { throw connectionError() }
        defer { PQenterPipelineMode(connection) }
        func quoted(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
        let sql = "COPY \(quoted(table)) (\(columns.map(quoted).joined(separator: ", "))) FROM STDIN"
        guard PQsendQuery(connection, sql) == 1 else { throw connectionError() }
        roundTrips?.add()
        try await flush()
        let started = try await nextResult()
        let status = PQresultStatus(started)
        if status != PGRES_COPY_IN {
            let error = status == PGRES_FATAL_ERROR ? PQError(result: started) : connectionError()
            PQclear(started)
            while let rest = try await nextResultOrNil() { PQclear(rest) }
            throw error
        }
        PQclear(started)
        do {
            try await body(PQCopyWriter(connection: self))
            try await endCopy(failure: nil)
        } catch {
            try? await endCopy(failure: "the copy's writer failed")
            throw error
        }
    }

    /// Queues `bytes` of COPY data, waiting while libpq's buffer is full.
    func putCopyData(_ bytes: [UInt8]) async throws {
        while true {
            let put = bytes.withUnsafeBytes { bytes in
                PQputCopyData(connection, bytes.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(bytes.count))
            }
            if put == 1 { return }
            guard put == 0 else { throw connectionError() }
            try await SocketPoller.shared.wait(for: PQsocket(connection), writable: true)
            _ = PQflush(connection)
        }
    }

    private func endCopy(failure: String?) async throws {
        while true {
            let ended = PQputCopyEnd(connection, failure)
            if ended == 1 { break }
            guard ended == 0 else { throw connectionError() }
            try await SocketPoller.shared.wait(for: PQsocket(connection), writable: true)
        }
        try await flush()
        var error: PQError?
        while let result = try await nextResultOrNil() {
            if PQresultStatus(result) == PGRES_FATAL_ERROR, error == nil { error = PQError(result: result) }
            PQclear(result)
        }
        if let error { throw error }
    }
}

/// Writes the data of a `COPY … FROM STDIN` (see `PQConnection.copyFrom`).
public struct PQCopyWriter: @unchecked Sendable {
    let connection: PQConnection

    public func write(_ buffer: ByteBuffer) async throws {
        try await connection.putCopyData(Array(buffer.readableBytesView))
    }
}
