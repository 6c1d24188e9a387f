import Foundation
import Itinera
import Testing

@Suite struct ConfigurationTests {
    @Test func test_flagsBeatEnvironmentBeatFileBeatDefaults() throws {
        let sources = ConfigurationSources(
            flags: ["port": "9000"],
            environment: ["ITINERA_PORT": "9100", "ITINERA_HOST": "0.0.0.0"],
            file: ["port": "9200", "host": "10.0.0.1", "data-dir": "/srv/itinera"]
        )
        let configuration = try sources.resolve()
        #expect(configuration.port == 9000)
        #expect(configuration.host == "0.0.0.0")
        #expect(configuration.dataDirectory == "/srv/itinera")
        #expect(configuration.bcryptCost == 12)
        #expect(configuration.database == nil)
    }

    @Test func test_databaseURLFlag_beatsEnvironment_whichBeatsFile() throws {
        let environment = ["DATABASE_URL": "postgres://env@envhost/envdb"]
        let file = ["database-url": "postgres://file@filehost/filedb"]
        let fromFlag = try ConfigurationSources(
            flags: ["database-url": "postgres://flag@flaghost/flagdb"], environment: environment, file: file
        ).resolve()
        #expect(fromFlag.database?.host == "flaghost")
        #expect(
            try ConfigurationSources(flags: [:], environment: environment, file: file).resolve().database?.host
                == "envhost")
        #expect(
            try ConfigurationSources(flags: [:], environment: [:], file: file).resolve().database?.host == "filehost")
    }

    @Test func test_configFile_isJSONWithSnakeCaseKeys_andUnknownKeysAreRefused() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("itinera-\(UUID()).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(#"{"port": 8444, "tls_cert": "/etc/c.pem", "tls_key": "/etc/k.pem"}"#.utf8).write(
            to: URL(fileURLWithPath: path))
        let values = try ConfigurationSources.readFile(at: path)
        #expect(values["port"] == "8444" && values["tls-cert"] == "/etc/c.pem")
        try Data(#"{"prot": 1}"#.utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: ConfigurationError.self) { _ = try ConfigurationSources.readFile(at: path) }
    }

    @Test func test_invalidValues_nameTheSetting() {
        #expect(throws: ConfigurationError.self) {
            _ = try ConfigurationSources(flags: ["port": "http"], environment: [:]).resolve()
        }
        #expect(throws: ConfigurationError.self) {
            _ = try ConfigurationSources(flags: ["tls-cert": "/c.pem"], environment: [:]).resolve()
        }
        #expect(throws: ConfigurationError.self) {
            _ = try ConfigurationSources(flags: ["bcrypt-cost": "8"], environment: [:]).resolve()
        }
    }

    /// The pool's connections at work and open: open defaults to at work, and is never fewer.
    @Test func test_poolSettings_areReadAndChecked() throws {
        let plain = try ConfigurationSources(flags: [:], environment: [:]).resolve()
        #expect(plain.databaseConnections == 20 && plain.databaseOpenConnections == nil)
        #expect(plain.databaseConnectionTenants == 1000)
        let both = try ConfigurationSources(
            flags: [:],
            environment: [
                "ITINERA_DB_CONNECTIONS": "16", "ITINERA_DB_OPEN_CONNECTIONS": "64",
                "ITINERA_DB_CONNECTION_TENANTS": "500",
            ]
        ).resolve()
        #expect(both.databaseConnections == 16 && both.databaseOpenConnections == 64)
        #expect(both.databaseConnectionTenants == 500)
        for environment in [
            ["ITINERA_DB_OPEN_CONNECTIONS": "8"], ["ITINERA_DB_OPEN_CONNECTIONS": "0"],
            ["ITINERA_DB_CONNECTION_TENANTS": "5"], ["ITINERA_DB_CONNECTION_TENANTS": "many"],
            ["ITINERA_DB_CONNECTIONS": "16", "ITINERA_DB_OPEN_CONNECTIONS": "12"],
        ] {
            #expect(throws: ConfigurationError.self, "\(environment)") {
                try ConfigurationSources(flags: [:], environment: environment).resolve()
            }
        }
    }

    /// Delivery settings: webhooks' private receivers, retry waits and lease; e-mail's server and sender.
    @Test func test_deliverySettings_areReadAndChecked() throws {
        let configuration = try ConfigurationSources(
            flags: [:],
            environment: [
                "ITINERA_WEBHOOK_ALLOW_PRIVATE": "1", "ITINERA_WEBHOOK_RETRY_SECONDS": "0.5, 10",
                "ITINERA_JOB_LEASE_SECONDS": "30", "ITINERA_LOCK_TIMEOUT_SECONDS": "45",
                "ITINERA_SMTP_URL": "smtps://u:p@mail.example.com",
                "ITINERA_MAIL_FROM": "Trips <trips@example.com>",
            ]
        ).resolve()
        #expect(configuration.webhooks.allowPrivate)
        #expect(configuration.webhooks.retrySchedule == [.milliseconds(500), .seconds(10)])
        #expect(configuration.webhooks.maxAttempts == 3)
        #expect(configuration.jobLease == .seconds(30))
        #expect(configuration.lockTimeout == .seconds(45))
        #expect(configuration.mail?.port == 465 && configuration.mail?.fromAddress == "trips@example.com")
        for environment in [
            ["ITINERA_WEBHOOK_ALLOW_PRIVATE": "maybe"], ["ITINERA_WEBHOOK_RETRY_SECONDS": "5,x"],
            ["ITINERA_WEBHOOK_RETRY_SECONDS": "0"], ["ITINERA_SMTP_URL": "smtp://mail.example.com"],
            ["ITINERA_JOB_LEASE_SECONDS": "1"], ["ITINERA_LOCK_TIMEOUT_SECONDS": "0"],
        ] {
            #expect(throws: ConfigurationError.self, "\(environment)") {
                try ConfigurationSources(flags: [:], environment: environment).resolve()
            }
        }
    }
}
