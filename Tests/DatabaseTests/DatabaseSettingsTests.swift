import Itinera
import Testing

@Suite struct DatabaseSettingsTests {
    @Test func test_url_isReadLikeLibpq() throws {
        let settings = try DatabaseSettings(url: "postgres://app:s3cret@db.example:6432/crm?sslmode=verify-full")
        #expect(
            settings
                == DatabaseSettings(
                    host: "db.example", port: 6432, user: "app", password: "s3cret", database: "crm",
                    sslMode: .verifyFull))
    }

    @Test func test_missingURLParts_comeFromPGVariables() throws {
        let environment = [
            "PGHOST": "/var/run/postgresql", "PGPORT": "5433", "PGUSER": "itinera", "PGDATABASE": "itinera_prod",
            "PGPASSWORD": "pw",
        ]
        let settings = try #require(try DatabaseSettings.fromEnvironment(environment))
        #expect(settings.unixSocketPath == "/var/run/postgresql/.s.PGSQL.5433")
        #expect(settings.user == "itinera" && settings.database == "itinera_prod" && settings.password == "pw")
        let mixed = try DatabaseSettings(url: "postgresql:///other", environment: environment)
        #expect(mixed.database == "other" && mixed.user == "itinera" && mixed.port == 5433)
    }

    @Test func test_socketDirectoryInURL_isAUnixSocket() throws {
        let settings = try DatabaseSettings(url: "postgresql://itinera@%2Ftmp%2Fpg/itinera")
        #expect(settings.unixSocketPath == "/tmp/pg/.s.PGSQL.5432")
    }

    @Test func test_noDatabaseConfigured_meansEmbedded() throws {
        #expect(try DatabaseSettings.fromEnvironment(["HOME": "/root"]) == nil)
    }

    @Test func test_badSSLModeAndScheme_areRefusedWithTheReason() {
        #expect(throws: DatabaseSettingsError.self) { _ = try DatabaseSettings(url: "postgres://h/db?sslmode=always") }
        #expect(throws: DatabaseSettingsError.self) { _ = try DatabaseSettings(url: "mysql://h/db") }
    }

    @Test func test_missingServerBinaries_errorNamesThePackage() {
        #expect(EmbeddedPostgresError.binariesNotFound.description.contains("apt-get install postgresql"))
    }
}
