public import Logging
public import PostgresNIO

extension TenantConnection {
    /// Runs a statement in the tenant's transaction; see `PQConnection.execute`.
    public func execute(_ query: PQStatement, file: String = #fileID, line: Int = #line) async throws {
        try await connection.execute(query, logger: logger, file: file, line: line)
    }
}

/// How much of other transactions' work a transaction sees.
public enum TransactionIsolation: Sendable {
    /// Each statement sees what was committed when it started (PostgreSQL's default).
    case readCommitted
    /// Every statement sees what was committed when the transaction's first statement started; a
    /// read split over several connections needs it (`SnapshotSharing`).
    case repeatableRead
}
