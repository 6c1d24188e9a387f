import Foundation
import Itinera
import Logging
import PostgresNIO
import Synchronization

/// The PostgreSQL the tests run against: `TEST_DATABASE_URL` when set (its user needs CREATEDB and
/// CREATEROLE), otherwise one throwaway embedded cluster for the whole test run, removed at exit.
public actor TestCluster {
    public static let shared = TestCluster()

    private var starting: Task<(embedded: EmbeddedPostgres?, base: DatabaseSettings), any Error>?
    static let logger = Logger(label: "itinera-tests")

    /// Settings of the cluster's maintenance database, starting the cluster on first use.
    func base() async throws -> (embedded: EmbeddedPostgres?, base: DatabaseSettings) {
        // One task starts the cluster; every caller, including those arriving while it starts, awaits it.
        if starting == nil {
            starting = Task { try await Self.start() }
        }
        return try await starting!.value
    }

    static func start() async throws -> (embedded: EmbeddedPostgres?, base: DatabaseSettings) {
        if let url = ProcessInfo.processInfo.environment["TEST_DATABASE_URL"], !url.isEmpty {
            return (nil, try DatabaseSettings(url: url))
        }
        EmbeddedPostgres.reapAbandoned(prefix: "itinera-tests-", logger: logger)
        let directory = URL(fileURLWithPath: "/tmp/itinera-tests-\(getpid())")
        try? FileManager.default.removeItem(at: directory)
        var embedded = try EmbeddedPostgres(directory: directory, durability: .throwaway, logger: logger)
        // The suites run in parallel, some with `itinera serve` processes of their own (each a pool).
        embedded.extraOptions = ["-c max_connections=400"]
        try embedded.start()
        try await embedded.prepareApplicationDatabase()
        registerCleanup(embedded)
        return (embedded, embedded.applicationSettings)
    }

    /// A new, empty database owned by the application role.
    public func makeDatabase() async throws -> DatabaseSettings {
        let (embedded, base) = try await base()
        let name = "test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        if let embedded {
            try await embedded.createDatabase(name)
        } else {
            let client = PQPool(base, maximum: 1)
            try await withRunningClient(client) { client in
                try await client.execute("CREATE DATABASE \(unescaped: name)", logger: Self.logger)
            }
        }
        var settings = base
        settings.database = name
        return settings
    }

    /// Runs `body` as the cluster's superuser (embedded cluster only), for inspecting catalogs.
    public func asSuperuser<Result: Sendable>(
        database: String,
        _ body: @Sendable (PQConnection) async throws -> Result
    ) async throws -> Result {
        guard let embedded = try await base().embedded else {
            throw TestSupportError("superuser access needs the embedded cluster")
        }
        return try await embedded.withSuperuser(database: database, body)
    }

    nonisolated static func registerCleanup(_ embedded: EmbeddedPostgres) {
        cleanup.withLock { $0 = embedded }
        atexit {
            if let embedded = TestCluster.cleanup.withLock({ $0 }) {
                embedded.stop()
                try? FileManager.default.removeItem(at: embedded.directory)
            }
        }
    }

    nonisolated static let cleanup = Mutex<EmbeddedPostgres?>(nil)
}

/// A test precondition that does not hold.
public struct TestSupportError: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
