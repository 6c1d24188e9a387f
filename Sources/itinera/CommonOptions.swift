import ArgumentParser
import Foundation
import Itinera
import Logging

/// Options every command shares; each can also come from `ITINERA_*` variables or the config file.
struct CommonOptions: ParsableArguments {
    @Option(help: "A JSON config file (also ITINERA_CONFIG).")
    var config: String?

    @Option(
        name: .customLong("data-dir"),
        help: "Where the embedded database and development certificate live (default ./.itinera).")
    var dataDirectory: String?

    @Option(
        name: .customLong("database-url"),
        help: "postgres:// URL of the database; otherwise DATABASE_URL, PG* variables, or the embedded PostgreSQL.")
    var databaseURL: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String?

    /// Merges these flags with the environment and the config file.
    func sources(extra flags: [String: String?] = [:]) throws -> ConfigurationSources {
        let environment = ProcessInfo.processInfo.environment
        let file = try (config ?? environment["ITINERA_CONFIG"]).map(ConfigurationSources.readFile(at:)) ?? [:]
        var values: [String: String] = [:]
        let given: [String: String?] = ["data-dir": dataDirectory, "database-url": databaseURL, "log-level": logLevel]
        for (key, value) in given.merging(flags, uniquingKeysWith: { $1 }) {
            if let value { values[key] = value }
        }
        return ConfigurationSources(flags: values, environment: environment, file: file)
    }

    /// Sends JSON log lines to standard output.
    static func bootstrapLogging(level: Logger.Level) -> Logger {
        LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: level) }
        return Logger(label: "itinera")
    }
}
