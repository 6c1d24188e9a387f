import ArgumentParser
import Foundation
import Itinera
import Logging

/// `itinera worker`: background job workers alone, beside servers started with `--job-workers 0`
/// or in addition to theirs.
struct Worker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run background job workers without the HTTP server.")

    @OptionGroup var common: CommonOptions

    @Option(help: "How many workers to run (default 1).")
    var workers: Int?

    @Flag(
        inversion: .prefixedNo,
        help: "Apply pending migrations first (default: yes for the embedded database, no otherwise).")
    var migrate: Bool?

    func run() async throws {
        let configuration = try common.sources(extra: [
            "job-workers": workers.map(String.init), "migrate": migrate.map { String($0) },
        ]).resolve()
        let logger = CommonOptions.bootstrapLogging(level: configuration.logLevel)
        let database = try await DatabaseRuntime.start(configuration, logger: logger)
        defer { database.stop() }
        let count = max(1, configuration.jobWorkers)
        let client = try database.settings.makeClient(
            connections: count + 2, tenants: configuration.databaseConnectionTenants, logger: logger,
            lockTimeout: configuration.lockTimeout)
        do {
            try await runJobWorkers(
                ApplicationParts(
                    configuration: configuration, client: client,
                    migrations: try .embedded(), logger: logger),
                count: count, migrate: configuration.migrateOnStart ?? (database.embedded != nil))
        } catch {
            logger.critical("Itinera job workers stopped", metadata: ["error": "\(error)"])
            throw ExitCode.failure
        }
    }
}
