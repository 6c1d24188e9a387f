import Crypto
public import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// A webhook receiver for tests: a plain HTTP server on 127.0.0.1 that keeps every request and
/// answers each with the status `respond` picks (by the request's number, from 0).
public final class WebhookReceiver: Sendable {
    public struct Received: Sendable {
        public let id: String
        public let timestamp: String
        public let signature: String
        public let body: Data
        public let status: Int

        /// The body as JSON.
        public var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body) as? [String: Any]) ?? [:] }
    }

    private let state = Mutex<(received: [Received], accepted: Int, port: Int?)>(([], 0, nil))
    private let task: Mutex<Task<Void, any Error>?> = Mutex(nil)

    public init() {}

    /// Every request so far, in the order they arrived.
    public var received: [Received] { state.withLock { $0.received } }

    /// How many requests were answered with a 2xx status.
    public var accepted: Int { state.withLock { $0.accepted } }

    public var url: String { "http://127.0.0.1:\(state.withLock { $0.port } ?? 0)/hook" }

    /// Starts listening; `respond` gets the request's number and its headers and answers a status and
    /// extra headers; `hold` runs before the answer is sent.
    public func start(
        respond: @escaping @Sendable (Int, HTTPFields) -> (Int, [(String, String)]) = { _, _ in (204, []) },
        hold: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws {
        let router = Router()
        router.post("/hook") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 10_000_000)
            let headers = request.headers
            let field = { (name: String) in HTTPField.Name(name).flatMap { headers[$0] } ?? "" }
            let number = self.state.withLock { $0.received.count }
            let (status, extra) = respond(number, headers)
            self.state.withLock {
                if (200..<300).contains(status) { $0.accepted += 1 }
                $0.received.append(
                    Received(
                        id: field("webhook-id"), timestamp: field("webhook-timestamp"),
                        signature: field("webhook-signature"), body: Data(buffer: body), status: status))
            }
            // Recorded on arrival; `hold` may keep the answer back (a receiver that hangs).
            await hold(number)
            var fields = HTTPFields()
            for (name, value) in extra { if let name = HTTPField.Name(name) { fields[name] = value } }
            return Response(status: .init(code: status), headers: fields)
        }
        let ready = AsyncStream<Int>.makeStream()
        var logger = Logger(label: "webhook-receiver")
        logger.logLevel = .critical
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                ready.continuation.yield(channel.localAddress?.port ?? 0)
                ready.continuation.finish()
            }, logger: logger)
        task.withLock { $0 = Task { try await app.runService() } }
        for await port in ready.stream { state.withLock { $0.port = port } }
    }

    public func stop() {
        task.withLock { $0?.cancel() }
    }

    /// Waits until `count` requests have arrived (at most `timeout`); answers them.
    public func waitFor(_ count: Int, timeout: Duration = .seconds(30)) async throws -> [Received] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let received = self.received
            if received.count >= count { return received }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestSupportError("the receiver got \(received.count) requests, not \(count), within \(timeout)")
    }

    /// Checks a request's signatures as the Standard Webhooks specification says, independently of
    /// the server's code: the key is the base64 after `whsec_`; the signed content is
    /// `<webhook-id>.<webhook-timestamp>.<body>`; each space-separated `v1,<base64>` is one signature.
    public static func verifies(_ received: Received, secret: String) -> Bool {
        guard secret.hasPrefix("whsec_"), let key = Data(base64Encoded: String(secret.dropFirst(6))) else {
            return false
        }
        var content = Data("\(received.id).\(received.timestamp).".utf8)
        content.append(received.body)
        let expected = Data(HMAC<SHA256>.authenticationCode(for: content, using: SymmetricKey(data: key)))
            .base64EncodedString()
        return received.signature.split(separator: " ").contains { $0 == "v1,\(expected)" }
    }
}
