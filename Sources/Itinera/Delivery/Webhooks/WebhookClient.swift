import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// How a receiver answered one delivery.
struct WebhookResponse: Sendable, Equatable {
    let status: Int
    /// The receiver's `Retry-After`, in seconds from now (only with 429 and 503).
    let retryAfter: Duration?
}

/// Why an attempt got no answer.
enum WebhookSendError: Error, Equatable, CustomStringConvertible {
    /// The address is one the server does not send to (the message says which and why).
    case refused(String)
    case unreachable(String)
    case timedOut(Duration)

    var description: String {
        switch self {
        case .refused(let reason): return reason
        case .unreachable(let reason): return reason
        case .timedOut(let limit): return "no answer within \(limit.milliseconds / 1000) s"
        }
    }
}

/// Sends one webhook request: resolves the host, checks the address it resolved to
/// (`AddressPolicy`) and connects to exactly that address, so the check and the connection cannot
/// disagree; HTTPS through NIOSSL with the system's trust roots (and any configured beside them),
/// one request per connection, the whole exchange within the timeout.
final class WebhookClient: Sendable {
    let settings: WebhookSettings
    private let tls: NIOSSLContext
    private let group: any EventLoopGroup

    init(settings: WebhookSettings, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) throws {
        self.settings = settings
        self.group = group
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        if let roots = settings.extraTrustRoots {
            configuration.additionalTrustRoots = [.file(roots)]
        }
        self.tls = try NIOSSLContext(configuration: configuration)
    }

    func post(_ urlText: String, headers: [(String, String)], body: [UInt8]) async throws -> WebhookResponse {
        let started = ContinuousClock.now
        guard let url = URL(string: urlText), let scheme = url.scheme?.lowercased(), let rawHost = url.host,
            scheme == "https" || scheme == "http"
        else { throw WebhookSendError.refused("the endpoint's url cannot be used") }
        let host = rawHost.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        let secure = scheme == "https"
        let port = url.port ?? (secure ? 443 : 80)
        let address: SocketAddress
        do {
            address = try await NIOThreadPool.singleton.runIfActive {
                try SocketAddress.makeAddressResolvingHost(host, port: port)
            }
        } catch {
            throw WebhookSendError.unreachable("\(host) could not be resolved")
        }
        let kind = AddressPolicy.kind(of: address)
        guard AddressPolicy.allows(kind, allowPrivate: settings.allowPrivate) else {
            throw WebhookSendError.refused(
                "\(host) resolved to \(address.ipAddress ?? "?"), a \(kind) address webhooks are not sent to")
        }
        guard secure || kind == .loopback || kind == .privateNetwork else {
            throw WebhookSendError.refused("plain http:// is only for private addresses; \(host) is public")
        }
        var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: Self.target(of: url))
        head.headers.add(name: "Host", value: url.port.map { "\(rawHost):\($0)" } ?? rawHost)
        head.headers.add(name: "User-Agent", value: "Itinera-Webhooks/1")
        head.headers.add(name: "Content-Type", value: "application/json")
        head.headers.add(name: "Content-Length", value: String(body.count))
        head.headers.add(name: "Connection", value: "close")
        for (name, value) in headers { head.headers.add(name: name, value: value) }

        let loop = group.next()
        let answer = loop.makePromise(of: WebhookResponse.self)
        let (tls, request) = (self.tls, head)
        let serverName = Self.isAddressLiteral(host) ? nil : host
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: loop)
                .connectTimeout(.milliseconds(Int64(settings.timeout.milliseconds)))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if secure {
                            try channel.pipeline.syncOperations.addHandler(
                                NIOSSLClientHandler(context: tls, serverHostname: serverName))
                        }
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(
                            WebhookExchange(head: request, body: body, answer: answer))
                    }
                }
                .connect(to: address).get()
        } catch {
            answer.fail(error)
            throw WebhookSendError.unreachable("could not connect to \(host):\(port): \(error)")
        }
        let remaining = settings.timeout - (ContinuousClock.now - started)
        let timer = loop.scheduleTask(in: .milliseconds(max(Int64(remaining.milliseconds), 1))) {
            answer.fail(WebhookSendError.timedOut(self.settings.timeout))
            channel.close(promise: nil)
        }
        defer {
            timer.cancel()
            channel.close(promise: nil)
        }
        do {
            return try await answer.futureResult.get()
        } catch let error as WebhookSendError {
            throw error
        } catch {
            throw WebhookSendError.unreachable("\(host):\(port): \(error)")
        }
    }

    /// The request target: the path (at least `/`) and the query.
    static func target(of url: URL) -> String {
        let path = url.path.isEmpty ? "/" : url.path
        guard let components = URLComponents(url: url, resolvingAgainstBaseURL: false) else { return path }
        let encodedPath = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
        return components.percentEncodedQuery.map { "\(encodedPath)?\($0)" } ?? encodedPath
    }

    static func isAddressLiteral(_ host: String) -> Bool {
        (try? SocketAddress(ipAddress: host, port: 0)) != nil
    }

    /// `Retry-After` as seconds or as an HTTP date; at most a day.
    static func retryAfter(_ value: String?) -> Duration? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if let seconds = Int(value), seconds >= 0 { return .seconds(min(seconds, 86_400)) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: value) else { return nil }
        return .seconds(min(max(Int(date.timeIntervalSinceNow.rounded(.up)), 0), 86_400))
    }
}

/// Writes the request once connected and answers the response's status when it has been read.
private final class WebhookExchange: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    let head: HTTPRequestHead
    let body: [UInt8]
    let answer: EventLoopPromise<WebhookResponse>
    private var response: WebhookResponse?

    init(head: HTTPRequestHead, body: [UInt8], answer: EventLoopPromise<WebhookResponse>) {
        self.head = head
        self.body = body
        self.answer = answer
    }

    func channelActive(context: ChannelHandlerContext) {
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            let status = Int(head.status.code)
            let retry =
                status == 429 || status == 503 ? WebhookClient.retryAfter(head.headers.first(name: "Retry-After")) : nil
            response = WebhookResponse(status: status, retryAfter: retry)
        case .body:
            break
        case .end:
            if let response { answer.succeed(response) }
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        answer.fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        // A receiver that closes after the head without a framed body has still answered.
        if let response { answer.succeed(response) } else { answer.fail(ChannelError.eof) }
        context.fireChannelInactive()
    }
}
