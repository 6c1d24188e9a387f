import Foundation
import HTTPTypes
import HummingbirdTesting
import Itinera
import NIOCore
import NIOSSL

/// The `itinera` executable running as a child process, driven from outside as a partner would:
/// over real HTTPS, stopped with real signals.
public final class ServerProcess: @unchecked Sendable {
    public let process = Process()
    public let port: Int
    private let output = Pipe()
    private let lines = LineCollector()

    /// The built `itinera` beside the test bundle.
    public static var executable: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("itinera")
    }

    /// Starts `itinera serve` against `database` on a free port, with `environment` added, and
    /// waits until it says it is serving.
    public init(database: DatabaseSettings, environment extra: [String: String] = [:]) async throws {
        port = try Self.freePort()
        var environment = ProcessInfo.processInfo.environment
        environment["PGHOST"] = database.host
        environment["PGPORT"] = String(database.port)
        environment["PGUSER"] = database.user
        environment["PGDATABASE"] = database.database
        environment["PGPASSWORD"] = database.password
        environment["PGSSLMODE"] = "disable"
        environment["ITINERA_SPARE_SCHEMAS"] = "0"
        for (name, value) in extra { environment[name] = value }
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("itinera-process-\(UUID())")
        process.executableURL = Self.executable
        process.arguments = ["serve", "--port", String(port), "--data-dir", data.path, "--migrate"]
        process.environment = environment
        process.standardOutput = output
        process.standardError = output
        let lines = self.lines
        output.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            lines.append(String(decoding: data, as: UTF8.self))
        }
        try process.run()
        let started = ContinuousClock.now
        while !lines.text.contains("Itinera is serving HTTPS") {
            guard process.isRunning, ContinuousClock.now - started < .seconds(60) else {
                process.terminate()
                throw TestSupportError("itinera serve did not start: \(lines.text.suffix(2000))")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// What the process printed so far.
    public var log: String { lines.text }

    /// Sends `signal` and waits at most `limit` for the process to end; how long it took, or `nil`
    /// when it was still running (it is killed then).
    public func stop(with signal: Int32 = SIGTERM, waitingAtMost limit: Duration) async throws -> Duration? {
        let sent = ContinuousClock.now
        kill(process.processIdentifier, signal)
        while process.isRunning {
            if ContinuousClock.now - sent > limit {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                return nil
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return ContinuousClock.now - sent
    }

    /// A keep-alive HTTPS client of the server (no certificate check: it is self-signed).
    public func client() -> TestClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .none
        let client = TestClient(
            host: "127.0.0.1", port: port,
            configuration: .init(tlsConfiguration: tls, timeout: .seconds(30), serverName: "localhost"))
        client.connect()
        return client
    }

    /// A TCP port on the loopback address that nothing listens on now.
    public static func freePort() throws -> Int {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0
            }
        }
        guard bound else { throw TestSupportError("no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        output.fileHandleForReading.readabilityHandler = nil
    }
}

/// Text collected from another thread.
final class LineCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var collected = ""

    func append(_ text: String) { lock.withLock { collected += text } }
    var text: String { lock.withLock { collected } }
}
