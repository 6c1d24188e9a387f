import ArgumentParser
import Foundation
import Itinera
import Logging

/// `itinera serve`: the HTTPS API (the default command).
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the HTTPS API.")

    @OptionGroup var common: CommonOptions

    @Option(help: "Address to listen on (default 127.0.0.1).")
    var host: String?

    @Option(help: "HTTPS port (default 8443).")
    var port: Int?

    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain; without it a self-signed certificate is made.")
    var tlsCertificate: String?

    @Option(name: .customLong("tls-key"), help: "PEM private key for --tls-cert.")
    var tlsKey: String?

    @Flag(
        inversion: .prefixedNo,
        help: "Apply pending migrations before serving (default: yes for the embedded database, no otherwise).")
    var migrate: Bool?

    func run() async throws {
        let configuration = try common.sources(extra: [
            "host": host, "port": port.map(String.init), "tls-cert": tlsCertificate, "tls-key": tlsKey,
            "migrate": migrate.map { String($0) },
        ]).resolve()
        let logger = CommonOptions.bootstrapLogging(level: configuration.logLevel)
        let database = try await DatabaseRuntime.start(configuration, logger: logger)
        do {
            let client = try database.settings.makeClient(
                connections: configuration.databaseConnections, open: configuration.databaseOpenConnections,
                tenants: configuration.databaseConnectionTenants,
                logger: logger, lockTimeout: configuration.lockTimeout)
            let tls = try TLSIdentity.serverConfiguration(
                certificatePath: configuration.tlsCertificatePath,
                keyPath: configuration.tlsKeyPath,
                dataDirectory: URL(fileURLWithPath: configuration.dataDirectory),
                logger: logger
            )
            let draining = Draining()
            let app = try buildApplication(
                ApplicationParts(
                    configuration: configuration, client: client,
                    migrations: try .embedded(), logger: logger, draining: draining),
                tls: tls,
                migrateOnStart: configuration.migrateOnStart ?? (database.embedded != nil)
            ) { channel in
                logger.notice(
                    "Itinera is serving HTTPS",
                    metadata: [
                        "url": "https://\(configuration.host):\(channel.localAddress?.port ?? configuration.port)"
                    ]
                )
            }
            try await runUntilShutdown(
                app, draining: draining, deadline: configuration.shutdownDeadline, logger: logger,
                onAbandon: { database.stop() })
            logger.notice("Itinera stopped")
        } catch {
            logger.critical("Itinera stopped", metadata: ["error": "\(error)"])
            database.stop()
            throw ExitCode.failure
        }
        database.stop()
    }
}
