public import Logging
public import PostgresNIO

extension PostgresConnection {
    /// Runs a statement whose rows, if any, are not needed, and waits until the server has finished
    /// it: postgres-nio reports a statement's error while its rows are read, so they are always drained.
    public func execute(
        _ query: PostgresQuery,
        logger: Logger,
        file: String = #fileID,
        line: Int = #line
    ) async throws {
        let rows = try await self.query(query, logger: logger, file: file, line: line)
        for try await _ in rows {}
    }
}

extension PostgresConnection {
    /// Runs a multi-statement SQL script in one round trip through `itinera.run_script` (a PL/pgSQL
    /// `EXECUTE`), since the extended protocol takes one statement per message.
    public func runScript(_ script: String, logger: Logger) async throws {
        try await execute("SELECT itinera.run_script(\(script))", logger: logger)
    }
}

extension PostgresClient {
    /// Runs a statement on a pooled connection; see `PostgresConnection.execute`.
    public func execute(
        _ query: PostgresQuery,
        logger: Logger,
        file: String = #fileID,
        line: Int = #line
    ) async throws {
        let rows = try await self.query(query, logger: logger, file: file, line: line)
        for try await _ in rows {}
    }
}

extension TenantConnection {
    /// Runs a statement in the tenant's transaction; see `PostgresConnection.execute`.
    public func execute(_ query: PostgresQuery, file: String = #fileID, line: Int = #line) async throws {
        try await connection.execute(query, logger: logger, file: file, line: line)
    }
}

extension PostgresClient {
    /// Runs `body` in a transaction on a pooled connection: `BEGIN`, the body, then `COMMIT`, or
    /// `ROLLBACK` when the body throws. The body's own error is rethrown as it is, so callers can act
    /// on what went wrong (a `Problem`, a server error). The wait for the connection is bounded when
    /// the task's `ConnectionWait.limit` is set (then `DatabaseUnavailable`).
    public func transaction<Result: Sendable>(
        logger: Logger,
        isolation: TransactionIsolation = .readCommitted,
        _ body: (PostgresConnection) async throws -> sending Result
    ) async throws -> sending Result {
        try await Self.run(isolation: isolation, logger: logger, body, on: self, waitingAtMost: ConnectionWait.limit)
    }

    private static func run<Result: Sendable>(
        isolation: TransactionIsolation, logger: Logger,
        _ body: (PostgresConnection) async throws -> sending Result, on client: PostgresClient,
        waitingAtMost wait: Duration?
    ) async throws -> sending Result {
        try await client.withConnection(waitingAtMost: wait) { connection in
            switch isolation {
            case .readCommitted: _ = try await connection.execute(TransactionStatement.Begin(), logger: logger)
            case .repeatableRead:
                _ = try await connection.execute(TransactionStatement.BeginRepeatableRead(), logger: logger)
            }
            let result: Result
            do {
                result = try await body(connection)
            } catch {
                _ = try? await connection.execute(TransactionStatement.Rollback(), logger: logger)
                throw error
            }
            _ = try await connection.execute(TransactionStatement.Commit(), logger: logger)
            return result
        }
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
