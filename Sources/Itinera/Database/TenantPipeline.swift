/// A libpq transaction that has entered one tenant: its search path is the tenant's schema and its
/// role the tenant's role (see `TenantTransaction`). Statements sent together through `pipeline`
/// cost one round trip.
public struct TenantPipeline: Sendable {
    let connection: PQConnection
    public let tenant: TenantIdentity

    /// Runs `statements` in one round trip; a failed statement throws its `PQError`.
    public func pipeline(_ statements: [PQStatement]) async throws -> [PQRows] {
        do {
            return try await connection.pipeline(statements)
        } catch let failure as PQPipelineFailure {
            throw failure.error
        }
    }

    /// Runs one statement.
    @discardableResult
    public func query(_ statement: PQStatement) async throws -> PQRows {
        try await pipeline([statement])[0]
    }
}
