import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// One reply of an SMTP server: its code and its lines.
struct SMTPReply: Sendable, Equatable {
    let code: Int
    let lines: [String]
    var text: String { lines.joined(separator: " ") }
}

/// Why a message was not sent. `permanent` (a 5xx reply) will not change by trying again.
struct MailError: Error, Equatable, CustomStringConvertible {
    let description: String
    let permanent: Bool
    /// The recipient's address was refused for good (a bounce), not the server or the message.
    var bounce = false
}

/// An SMTP connection (RFC 5321) on SwiftNIO, used by one task at a time: greeting, `EHLO`,
/// `STARTTLS` when offered (or TLS from the first byte), `AUTH PLAIN` or `LOGIN`, then any number of
/// messages, each `MAIL FROM`, `RCPT TO`, `DATA`.
final class SMTPSession: @unchecked Sendable {
    private let channel: any Channel
    private var replies: AsyncThrowingStream<SMTPReply, any Error>.AsyncIterator
    let openedAt = ContinuousClock.now
    private(set) var lastUsed = ContinuousClock.now

    private init(channel: any Channel, replies: AsyncThrowingStream<SMTPReply, any Error>) {
        self.channel = channel
        self.replies = replies.makeAsyncIterator()
    }

    var isActive: Bool { channel.isActive }

    static func open(_ settings: MailSettings, tls: NIOSSLContext, group: any EventLoopGroup) async throws
        -> SMTPSession
    {
        let (stream, continuation) = AsyncThrowingStream<SMTPReply, any Error>.makeStream()
        let implicit = settings.security == .implicitTLS
        let host = settings.host
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(.seconds(15))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if implicit {
                            try channel.pipeline.syncOperations.addHandler(
                                NIOSSLClientHandler(context: tls, serverHostname: Self.serverName(host)))
                        }
                        try channel.pipeline.syncOperations.addHandler(SMTPReplyDecoder(continuation: continuation))
                    }
                }
                .connect(host: host, port: settings.port).get()
        } catch {
            throw MailError(description: "could not connect to \(host):\(settings.port): \(error)", permanent: false)
        }
        let session = SMTPSession(channel: channel, replies: stream)
        do {
            try await session.expect(220, after: nil)
            var features = try await session.hello()
            if !implicit {
                let loopback = ["127.0.0.1", "::1", "localhost"].contains(host)
                if features.contains("STARTTLS") {
                    try await session.expect(220, after: "STARTTLS")
                    try await channel.pipeline.addHandler(
                        try NIOSSLClientHandler(context: tls, serverHostname: Self.serverName(host)), position: .first
                    ).get()
                    features = try await session.hello()
                } else if settings.username != nil, !loopback {
                    throw MailError(
                        description: "\(host) offers no STARTTLS; the password is not sent in the clear",
                        permanent: true)
                }
            }
            if let user = settings.username, let password = settings.password {
                try await session.authenticate(user: user, password: password, features: features)
            }
            return session
        } catch {
            session.close()
            throw error
        }
    }

    /// Sends one message; a 5xx reply is a permanent `MailError`, anything else that fails is not.
    func send(_ message: MailMessage, from settings: MailSettings) async throws {
        guard MailAddress.isValid(message.to) else {
            throw MailError(
                description: "'\(message.to)' is not an address mail can go to", permanent: true, bounce: true)
        }
        lastUsed = .now
        try await expect(250, after: "MAIL FROM:<\(settings.fromAddress)>")
        do {
            try await expect([250, 251], after: "RCPT TO:<\(message.to)>")
        } catch var error as MailError where error.permanent {
            error.bounce = true
            throw error
        }
        try await expect(354, after: "DATA")
        let rendered = message.rendered(fromAddress: settings.fromAddress, fromName: settings.fromName)
        // Dot-stuffing: a line that starts with a dot gets another.
        let stuffed = rendered.split(separator: "\r\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix(".") ? "." + $0 : String($0) }.joined(separator: "\r\n")
        try await write(stuffed + ".\r\n")
        try await expect(250, after: nil)
        lastUsed = .now
    }

    /// Resets the transaction between messages on a reused connection.
    func reset() async throws { try await expect(250, after: "RSET") }

    func close() {
        let channel = self.channel
        channel.writeAndFlush(ByteBuffer(string: "QUIT\r\n")).whenComplete { _ in channel.close(promise: nil) }
    }

    // MARK: The dialogue

    private func hello() async throws -> Set<String> {
        let reply = try await expect(250, after: "EHLO \(Self.localName)")
        return Set(reply.lines.dropFirst().map { $0.uppercased() })
    }

    private func authenticate(user: String, password: String, features: Set<String>) async throws {
        let mechanisms = Set(
            features.filter { $0.hasPrefix("AUTH") }.flatMap { $0.split(separator: " ").dropFirst().map(String.init) })
        if mechanisms.contains("PLAIN") {
            let token = Data("\0\(user)\0\(password)".utf8).base64EncodedString()
            try await expect(235, after: "AUTH PLAIN \(token)")
        } else if mechanisms.contains("LOGIN") {
            try await expect(334, after: "AUTH LOGIN")
            try await expect(334, after: Data(user.utf8).base64EncodedString())
            try await expect(235, after: Data(password.utf8).base64EncodedString())
        } else {
            throw MailError(description: "the server offers neither AUTH PLAIN nor LOGIN", permanent: true)
        }
    }

    @discardableResult
    private func expect(_ code: Int, after command: String?) async throws -> SMTPReply {
        try await expect([code], after: command)
    }

    @discardableResult
    private func expect(_ codes: Set<Int>, after command: String?) async throws -> SMTPReply {
        if let command { try await write(command + "\r\n") }
        // A server that does not answer within a minute loses the connection, which ends the replies.
        let channel = self.channel
        let timer = channel.eventLoop.scheduleTask(in: .seconds(60)) { channel.close(promise: nil) }
        defer { timer.cancel() }
        let reply: SMTPReply?
        do {
            reply = try await replies.next()
        } catch {
            throw MailError(description: "the connection failed: \(error)", permanent: false)
        }
        guard let reply else {
            throw MailError(
                description: "the server closed the connection (or did not answer within 60 s)", permanent: false)
        }
        guard codes.contains(reply.code) else {
            let what = command.map { $0.hasPrefix("AUTH") ? "AUTH" : String($0.prefix(40)) } ?? "the message"
            throw MailError(
                description: "the server answered \(reply.code) \(reply.text) to \(what)", permanent: reply.code >= 500)
        }
        return reply
    }

    private func write(_ text: String) async throws {
        do {
            try await channel.writeAndFlush(ByteBuffer(string: text)).get()
        } catch {
            throw MailError(description: "the connection failed: \(error)", permanent: false)
        }
    }

    static func serverName(_ host: String) -> String? {
        (try? SocketAddress(ipAddress: host, port: 0)) == nil ? host : nil
    }

    /// The name this side gives in `EHLO`.
    static let localName: String = {
        let name = JobWorker.hostName()
        return name.contains(".") ? name : "[127.0.0.1]"
    }()
}

/// Splits what the server sends into replies: lines `NNN-text` continue one, `NNN text` ends it.
private final class SMTPReplyDecoder: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let continuation: AsyncThrowingStream<SMTPReply, any Error>.Continuation
    private var pending = ByteBuffer()
    private var lines: [String] = []

    init(continuation: AsyncThrowingStream<SMTPReply, any Error>.Continuation) {
        self.continuation = continuation
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        pending.writeBuffer(&bytes)
        while let end = pending.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
            let length = end - pending.readerIndex + 1
            guard var line = pending.readString(length: length) else { break }
            line = line.trimmingCharacters(in: .newlines)
            guard line.count >= 3, let code = Int(line.prefix(3)) else { continue }
            let more = line.count > 3 && line[line.index(line.startIndex, offsetBy: 3)] == "-"
            lines.append(String(line.dropFirst(4)))
            if !more {
                continuation.yield(SMTPReply(code: code, lines: lines))
                lines = []
            }
        }
        pending.discardReadBytes()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        continuation.finish(throwing: error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        continuation.finish()
        context.fireChannelInactive()
    }
}

/// Sends e-mail through the configured server, reusing one connection while it stays healthy (an idle
/// connection is closed after 30 s; a reused one that fails is replaced once).
actor Mailer {
    let settings: MailSettings
    private let tls: NIOSSLContext
    private let group: any EventLoopGroup
    private var idle: SMTPSession?

    init(settings: MailSettings, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) throws {
        self.settings = settings
        self.group = group
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        if let roots = settings.extraTrustRoots { configuration.additionalTrustRoots = [.file(roots)] }
        self.tls = try NIOSSLContext(configuration: configuration)
    }

    func send(_ message: MailMessage) async throws {
        if let session = idle, session.isActive, ContinuousClock.now - session.lastUsed < .seconds(30) {
            idle = nil
            do {
                try await session.reset()
                try await session.send(message, from: settings)
                idle = session
                return
            } catch let error as MailError where error.permanent {
                idle = session
                throw error
            } catch {
                session.close()
            }
        } else if let session = idle {
            session.close()
            idle = nil
        }
        let session = try await SMTPSession.open(settings, tls: tls, group: group)
        do {
            try await session.send(message, from: settings)
            idle = session
        } catch let error as MailError where error.permanent {
            idle = session
            throw error
        } catch {
            session.close()
            throw error
        }
    }

    func close() {
        idle?.close()
        idle = nil
    }
}
