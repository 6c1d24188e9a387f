import Foundation
import ItineraTestSupport
import Testing

@testable import Itinera

/// TLS to the database goes through libpq's OpenSSL: the settings' `sslmode` and `sslrootcert` reach
/// libpq, the session is encrypted, and a server whose certificate the root does not vouch for is
/// refused.
@Suite struct DatabaseTLSTests {
    @Test(.enabled(if: TestCertificates.available))
    func test_aTLSDatabase_isReachedEncrypted_andAnUnvouchedCertificateIsRefused() async throws {
        let directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent(
            "itinera-tls-\(UUID().uuidString.prefix(8))")
        let certificates = directory.appendingPathComponent("tls")
        try FileManager.default.createDirectory(at: certificates, withIntermediateDirectories: true)
        let server = try TestCertificates.selfSigned(in: certificates, name: "server")
        let stranger = try TestCertificates.selfSigned(in: certificates, name: "stranger")
        var cluster = try EmbeddedPostgres(directory: directory, durability: .throwaway, logger: testLogger)
        cluster.port = try ServerProcess.freePort()
        cluster.extraOptions = [
            "-c listen_addresses='127.0.0.1'", "-c ssl=on",
            "-c ssl_cert_file='\(server.certificate)'", "-c ssl_key_file='\(server.key)'",
        ]
        try cluster.start()
        defer {
            cluster.stop()
            try? FileManager.default.removeItem(at: directory)
        }
        try await cluster.prepareApplicationDatabase()

        var settings = DatabaseSettings(
            host: "127.0.0.1", port: cluster.port, user: EmbeddedPostgres.applicationRole,
            database: EmbeddedPostgres.applicationDatabase, sslMode: .verifyCA,
            sslRootCertificate: server.certificate)
        let pool = PQPool(settings, maximum: 1)
        let rows = try await pool.withConnection { connection in
            try await connection.query("SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        }
        #expect(try rows[0][0].decode(Bool.self))
        #expect(try rows[0][1].decode(String.self).hasPrefix("TLSv1."))
        pool.close()

        settings.sslRootCertificate = stranger.certificate
        let refused = await #expect(throws: PQError.self) {
            try await PQPool(settings, maximum: 1).withConnection { _ in }
        }
        #expect(refused?.message.contains("certificate") == true, "\(refused?.message ?? "")")
    }
}
