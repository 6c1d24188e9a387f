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
    /// `withTransaction`, rethrowing the error that failed the transaction itself (a `Problem`, a
    /// server error) rather than postgres-nio's wrapper, so callers can act on what went wrong.
    public func transaction<Result: Sendable>(
        logger: Logger,
        file: String = #file,
        line: Int = #line,
        _ body: (PostgresConnection) async throws -> sending Result
    ) async throws -> sending Result {
        do {
            return try await withTransaction(logger: logger, file: file, line: line, body)
        } catch let error as PostgresTransactionError {
            throw error.rootCause
        }
    }
}
