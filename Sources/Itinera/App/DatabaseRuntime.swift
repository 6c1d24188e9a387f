import Foundation
public import Logging
public import PostgresNIO

/// The database a process runs against: the configured server, or the embedded cluster it starts.
public struct DatabaseRuntime: Sendable {
    public let settings: DatabaseSettings
    public let embedded: EmbeddedPostgres?

    /// Uses the configured database, or starts (creating on first run) the embedded one under
    /// `<data-dir>/pg`.
    public static func start(_ configuration: ServerConfiguration, logger: Logger) async throws -> DatabaseRuntime {
        if let settings = configuration.database {
            return DatabaseRuntime(settings: settings, embedded: nil)
        }
        let directory = URL(fileURLWithPath: configuration.dataDirectory).appendingPathComponent("pg")
        let embedded = try EmbeddedPostgres(directory: directory, logger: logger)
        try embedded.start()
        do {
            try await embedded.prepareApplicationDatabase()
        } catch {
            embedded.stop()
            throw error
        }
        return DatabaseRuntime(settings: embedded.applicationSettings, embedded: embedded)
    }

    /// Stops the embedded cluster, if this process started one.
    public func stop() {
        embedded?.stop()
    }

}

/// Runs `body` with `client`, and closes the pool's idle connections afterwards.
public func withRunningClient<Result: Sendable>(
    _ client: PQPool,
    _ body: @Sendable (PQPool) async throws -> Result
) async throws -> Result {
    defer { client.close() }
    return try await body(client)
}
