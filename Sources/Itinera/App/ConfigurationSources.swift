import Foundation
import Logging

/// Merges the three places configuration comes from, in precedence order: command-line flags, then
/// `ITINERA_*` environment variables, then an optional JSON config file; the database comes from
/// `--database-url`, then `DATABASE_URL` or libpq's `PG*` variables, then the file's `database_url`.
///
/// Keys are written `tls-cert` on the command line, `ITINERA_TLS_CERT` in the environment and
/// `tls_cert` in the file.
public struct ConfigurationSources: Sendable {
    public static let keys = [
        "host", "port", "tls-cert", "tls-key", "data-dir", "database-url", "migrate",
        "session-ttl-hours", "log-level", "db-connections", "db-open-connections", "db-connection-tenants",
        "bcrypt-cost", "spare-schemas",
        "platform-token", "export-dir", "key-rate", "key-burst", "tenant-rate", "tenant-burst", "job-workers",
        "loyalty-sweep-hours", "insight-refresh-minutes", "shutdown-seconds", "webhook-allow-private",
        "webhook-retry-seconds",
        "webhook-ca-file", "job-lease-seconds", "lock-timeout-seconds", "smtp-url", "mail-from", "smtp-ca-file",
        "outbox-retention-days",
        "public-url", "message-gateway-url", "message-gateway-secret",
    ]

    public var flags: [String: String]
    public var environment: [String: String]
    public var file: [String: String]

    public init(flags: [String: String], environment: [String: String], file: [String: String] = [:]) {
        self.flags = flags
        self.environment = environment
        self.file = file
    }

    /// Reads a JSON config file whose top-level keys are the `snake_case` setting names.
    public static func readFile(at path: String) throws -> [String: String] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ConfigurationError("the config file \(path) must hold a JSON object")
        }
        var values: [String: String] = [:]
        for (key, value) in object {
            let name = key.replacingOccurrences(of: "_", with: "-")
            guard keys.contains(name) else {
                throw ConfigurationError("the config file \(path) has an unknown setting '\(key)'")
            }
            values[name] = "\(value)"
        }
        return values
    }

    /// The winning value for `key`.
    public func value(_ key: String) -> String? {
        let environmentName = "ITINERA_" + key.uppercased().replacingOccurrences(of: "-", with: "_")
        return [flags[key], environment[environmentName], file[key]].compactMap { $0 }.first { !$0.isEmpty }
    }

    public func resolve() throws -> ServerConfiguration {
        var configuration = ServerConfiguration()
        if let host = value("host") { configuration.host = host }
        if let port = value("port") { configuration.port = try integer("port", port, in: 1...65535) }
        configuration.tlsCertificatePath = value("tls-cert")
        configuration.tlsKeyPath = value("tls-key")
        if (configuration.tlsCertificatePath == nil) != (configuration.tlsKeyPath == nil) {
            throw ConfigurationError("tls-cert and tls-key must be given together")
        }
        if let directory = value("data-dir") { configuration.dataDirectory = directory }
        if let url = flags["database-url"] {
            configuration.database = try DatabaseSettings(url: url, environment: environment)
        } else if let settings = try DatabaseSettings.fromEnvironment(environment) {
            configuration.database = settings
        } else if let url = file["database-url"] {
            configuration.database = try DatabaseSettings(url: url, environment: environment)
        }
        if let migrate = value("migrate") {
            guard let flag = Bool(migrate.lowercased()) else {
                throw ConfigurationError("migrate must be true or false, not '\(migrate)'")
            }
            configuration.migrateOnStart = flag
        }
        if let hours = value("session-ttl-hours") {
            configuration.sessionLifetime = .seconds(try integer("session-ttl-hours", hours, in: 1...24 * 90) * 3600)
        }
        if let level = value("log-level") {
            guard let parsed = Logger.Level(rawValue: level) else {
                throw ConfigurationError(
                    "log-level must be one of trace, debug, info, notice, warning, error, critical")
            }
            configuration.logLevel = parsed
        }
        if let connections = value("db-connections") {
            configuration.databaseConnections = try integer("db-connections", connections, in: 1...1000)
        }
        if let open = value("db-open-connections") {
            let count = try integer("db-open-connections", open, in: 1...1000)
            guard count >= configuration.databaseConnections else {
                throw ConfigurationError(
                    "db-open-connections (\(count)) must be at least db-connections (\(configuration.databaseConnections))"
                )
            }
            configuration.databaseOpenConnections = count
        }
        if let tenants = value("db-connection-tenants") {
            configuration.databaseConnectionTenants = try integer("db-connection-tenants", tenants, in: 10...100_000)
        }
        if let spares = value("spare-schemas") {
            configuration.spareSchemas = try integer("spare-schemas", spares, in: 0...100)
        }
        if let workers = value("job-workers") {
            configuration.jobWorkers = try integer("job-workers", workers, in: 0...32)
        }
        if let days = value("outbox-retention-days") {
            configuration.outboxRetention = .seconds(try integer("outbox-retention-days", days, in: 1...3650) * 86_400)
        }
        if let seconds = value("job-lease-seconds") {
            configuration.jobLease = .seconds(try integer("job-lease-seconds", seconds, in: 2...3600))
        }
        if let seconds = value("lock-timeout-seconds") {
            configuration.lockTimeout = .seconds(try integer("lock-timeout-seconds", seconds, in: 1...600))
        }
        if let seconds = value("shutdown-seconds") {
            configuration.shutdownDeadline = .seconds(try integer("shutdown-seconds", seconds, in: 1...600))
        }
        if let hours = value("loyalty-sweep-hours") {
            configuration.loyaltySweepInterval = .seconds(
                try integer("loyalty-sweep-hours", hours, in: 1...24 * 31) * 3600)
        }
        if let minutes = value("insight-refresh-minutes") {
            configuration.insightRefreshInterval = .seconds(
                try integer("insight-refresh-minutes", minutes, in: 5...24 * 60) * 60)
        }
        if let cost = value("bcrypt-cost") {
            configuration.bcryptCost = UInt8(try integer("bcrypt-cost", cost, in: 12...31))
        }
        configuration.platformToken = value("platform-token")
        if let token = configuration.platformToken, token.utf8.count < 32 {
            throw ConfigurationError("platform-token must be at least 32 characters")
        }
        configuration.exportDirectory = value("export-dir")
        if let rate = value("key-rate") {
            configuration.keyRateLimit.perSecond = Double(try integer("key-rate", rate, in: 1...1_000_000))
        }
        if let burst = value("key-burst") {
            configuration.keyRateLimit.burst = Double(try integer("key-burst", burst, in: 1...1_000_000))
        }
        if let rate = value("tenant-rate") {
            configuration.tenantRateLimit.perSecond = Double(try integer("tenant-rate", rate, in: 1...1_000_000))
        }
        if let burst = value("tenant-burst") {
            configuration.tenantRateLimit.burst = Double(try integer("tenant-burst", burst, in: 1...1_000_000))
        }
        if let allow = value("webhook-allow-private") {
            switch allow.lowercased() {
            case "1", "true", "yes": configuration.webhooks.allowPrivate = true
            case "0", "false", "no": configuration.webhooks.allowPrivate = false
            default: throw ConfigurationError("webhook-allow-private must be 1 or 0, not '\(allow)'")
            }
        }
        if let schedule = value("webhook-retry-seconds") {
            configuration.webhooks.retrySchedule = try WebhookSettings.schedule(schedule)
        }
        configuration.webhooks.extraTrustRoots = value("webhook-ca-file")
        if let url = value("smtp-url") {
            guard let from = value("mail-from") else {
                throw ConfigurationError("smtp-url needs mail-from, the sender's address")
            }
            var mail = try MailSettings(url: url, from: from)
            mail.extraTrustRoots = value("smtp-ca-file")
            configuration.mail = mail
        }
        configuration.messages = try MessageSettings.validated(
            publicURL: value("public-url"), gatewayURL: value("message-gateway-url"),
            gatewaySecret: value("message-gateway-secret"))
        return configuration
    }

    private func integer(_ key: String, _ text: String, in range: ClosedRange<Int>) throws -> Int {
        guard let value = Int(text), range.contains(value) else {
            throw ConfigurationError(
                "\(key) must be an integer in \(range.lowerBound)…\(range.upperBound), not '\(text)'")
        }
        return value
    }
}

/// A setting that cannot be used; the message names it.
public struct ConfigurationError: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
