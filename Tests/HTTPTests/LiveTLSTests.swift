import Foundation
import Hummingbird
import HummingbirdTesting
import Itinera
import ItineraTestSupport
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Testing

@Suite struct LiveTLSTests {
    static func application(_ db: TestDatabase) throws -> some ApplicationProtocol {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("itinera-tls-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let tls = try TLSIdentity.serverConfiguration(
            certificatePath: nil, keyPath: nil, dataDirectory: directory, logger: db.logger)
        var parts = db.parts()
        parts.client = try db.unstartedClient()
        return try buildApplication(parts, tls: tls, migrateOnStart: false)
    }

    /// The tenant is provisioned beside the server (sign-up builds a schema, which on two shared
    /// cores can outlast the test client's fixed 15 s deadline); its owner's session then reads the
    /// tenant over TLS.
    @Test func test_overRealTLS_healthAndTenantReadWork() async throws {
        try await TestDatabase.with { db in
            let provisioner = TenantProvisioner(
                client: db.client, migrations: db.migrations, sessionLifetime: .seconds(600), logger: db.logger)
            let tenant = try await provisioner.provision(
                validSignUp(slug: "tls-\(UUID().uuidString.prefix(8).lowercased())"),
                ownerPasswordHash: sampleOwnerPasswordHash)
            try await Self.application(db).test(.ahc(.https)) { client in
                let health = try await client.send(.get, "/healthz")
                #expect(health.status == .ok)
                #expect(health.headers[.strictTransportSecurity] != nil)
                let read = try await client.send(.get, "/v1/tenant", token: tenant.session.value)
                #expect(read.status == .ok)
                #expect(try JSON.object(read.body)["slug"] as? String == tenant.tenant.slug)
                #expect(try await client.send(.get, "/readyz").status == .ok)
            }
        }
    }

    @Test func test_plainHTTPToTheTLSPort_getsNoHTTPAnswer() async throws {
        try await TestDatabase.with { db in
            try await Self.application(db).test(.ahc(.https)) { client in
                let port = try #require(client.port)
                let reply = try await Self.plainHTTPExchange(port: port)
                #expect(!reply.hasPrefix("HTTP/"), "plain HTTP got an HTTP answer: \(reply.prefix(40))")
            }
        }
    }

    @Test func test_tls11Client_isRefused() async throws {
        try await TestDatabase.with { db in
            try await Self.application(db).test(.ahc(.https)) { client in
                let port = try #require(client.port)
                var configuration = TLSConfiguration.makeClientConfiguration()
                configuration.certificateVerification = .none
                configuration.minimumTLSVersion = .tlsv1
                configuration.maximumTLSVersion = .tlsv11
                await #expect(throws: (any Error).self) {
                    try await Self.tlsHandshake(port: port, configuration: configuration)
                }
                configuration.maximumTLSVersion = .tlsv12
                try await Self.tlsHandshake(port: port, configuration: configuration)
            }
        }
    }

    @Test func test_tls12_offersAEADSuitesOnly_noCBC() async throws {
        try await TestDatabase.with { db in
            try await Self.application(db).test(.ahc(.https)) { client in
                let port = try #require(client.port)
                var configuration = TLSConfiguration.makeClientConfiguration()
                configuration.certificateVerification = .none
                configuration.maximumTLSVersion = .tlsv12
                let cbc: [NIOTLSCipher] = [
                    .TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, .TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
                    .TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, .TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
                    .TLS_RSA_WITH_AES_128_CBC_SHA, .TLS_RSA_WITH_AES_256_CBC_SHA,
                    .TLS_RSA_WITH_AES_128_GCM_SHA256, .TLS_RSA_WITH_AES_256_GCM_SHA384,
                ]
                for suite in cbc {
                    configuration.cipherSuiteValues = [suite]
                    await #expect(throws: (any Error).self, "\(suite) was accepted") {
                        try await Self.tlsHandshake(port: port, configuration: configuration)
                    }
                }
                for suite: NIOTLSCipher in [
                    .TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, .TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
                    .TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
                ] {
                    configuration.cipherSuiteValues = [suite]
                    try await Self.tlsHandshake(port: port, configuration: configuration)
                }
            }
        }
    }

    /// Sends a plain-text HTTP request and returns whatever comes back before the server closes.
    static func plainHTTPExchange(port: Int) async throws -> String {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"))
            var received = ""
            for try await chunk in inbound {
                received += String(buffer: chunk)
            }
            return received
        }
    }

    /// Completes a TLS handshake with `configuration`, or throws.
    static func tlsHandshake(port: Int, configuration: TLSConfiguration) async throws {
        let context = try NIOSSLContext(configuration: configuration)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = try NIOSSLClientHandler(context: context, serverHostname: nil)
                    try channel.pipeline.syncOperations.addHandler(handler)
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(
                ByteBuffer(string: "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"))
            var received = ""
            for try await chunk in inbound { received += String(buffer: chunk) }
            guard received.hasPrefix("HTTP/1.1 200") else {
                throw TestSupportError("no HTTP answer over TLS: \(received)")
            }
        }
    }
}
