public import Logging

/// Transactions and single statements on a pooled connection.
extension PQPool {
    /// Runs `body` with a connection of the pool, waiting at most the task's `ConnectionWait.limit`.
    public func withConnection<Result: Sendable>(_ body: (PQConnection) async throws -> Result) async throws
        -> Result
    {
        try await withConnection(waitingAtMost: ConnectionWait.limit, body)
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
}
