public import Logging
public import PostgresNIO
import Synchronization

/// Lends a tenant transaction more connections that see exactly what it sees, so that one long read
/// (a preview over a million members) can be split into parts that run on PostgreSQL's cores at once.
///
/// The transaction lending its snapshot must be `REPEATABLE READ` (its snapshot is then the one its
/// every statement reads); each helper is a read-only transaction that imports that snapshot
/// (`pg_export_snapshot`, `SET TRANSACTION SNAPSHOT`) and enters the same tenant.
///
/// A request holding a connection and waiting for another could, with enough of them at once, hold
/// every connection of the pool and wait forever. So the helpers borrowed at any moment are capped
/// process-wide (`capacity`, fewer than the pool's connections); a transaction that finds the cap
/// reached runs its read alone.
public final class SnapshotSharing: Sendable {
    let client: PQPool
    /// Most helper connections lent at once.
    public let capacity: Int
    private let lent = Mutex(0)

    public init(client: PQPool, capacity: Int) {
        self.client = client
        self.capacity = capacity
    }

    /// For a pool of `connections`: one helper when the pool has enough connections to spare one and
    /// still serve the others, none otherwise.
    public static func capacity(forPoolOf connections: Int) -> Int { connections >= 4 ? 1 : 0 }

    /// Runs `body` with `main` followed by up to `helpers` connections whose transactions read main's
    /// snapshot, as many as the cap allows at this moment (none, and `body` gets `[main]` alone,
    /// when it is reached). `main` must be inside a `REPEATABLE READ` transaction.
    public func withHelpers<Result: Sendable>(
        _ helpers: Int,
        sharing main: TenantConnection,
        _ body: ([TenantConnection]) async throws -> Result
    ) async throws -> Result {
        let granted = lent.withLock { lent in
            let granted = max(0, min(helpers, capacity - lent))
            lent += granted
            return granted
        }
        defer { lent.withLock { $0 -= granted } }
        guard granted > 0 else { return try await body([main]) }
        var snapshot: String?
        for try await id in try await main.query("SELECT pg_export_snapshot()").decode(String.self) { snapshot = id }
        guard let snapshot, Self.isSnapshotID(snapshot) else {
            throw SnapshotSharingError("PostgreSQL exported an unexpected snapshot id")
        }
        return try await lend(granted, snapshot: snapshot, main: main, into: [main], body)
    }

    /// Opens one helper transaction on `snapshot` and recurses until `count` are open, then runs
    /// `body` with all of them.
    private func lend<Result: Sendable>(
        _ count: Int,
        snapshot: String,
        main: TenantConnection,
        into connections: [TenantConnection],
        _ body: ([TenantConnection]) async throws -> Result
    ) async throws -> Result {
        guard count > 0 else { return try await body(connections) }
        return try await client.transaction(logger: main.logger) { connection in
            try await connection.execute(
                "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: main.logger)
            // A snapshot id is not a bindable parameter; it was checked to be hexadecimal digits and dashes.
            try await connection.execute(
                PQStatement(unsafeSQL: "SET TRANSACTION SNAPSHOT '\(snapshot)'"), logger: main.logger)
            let helper = try await TenantTransaction.enter(connection, tenant: main.tenant, logger: main.logger)
            return try await lend(count - 1, snapshot: snapshot, main: main, into: connections + [helper], body)
        }
    }

    /// Whether `id` has the form of a snapshot id (`00000003-0000001B-1`).
    static func isSnapshotID(_ id: String) -> Bool {
        !id.isEmpty && id.count <= 64 && id.allSatisfy { $0.isHexDigit || $0 == "-" }
    }
}

struct SnapshotSharingError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
