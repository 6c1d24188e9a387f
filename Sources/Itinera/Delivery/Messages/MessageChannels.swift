import Crypto
import Foundation

/// The channels messages leave by: e-mail over SMTP (`Mailer`), SMS and WeChat through the HTTP
/// gateway, with the links of the text made trackable and marketing carrying its one-click
/// unsubscribe.
struct MessageChannels: Sendable {
    /// What one attempt came to.
    enum Outcome: Sendable, Equatable {
        /// The channel accepted the message.
        case sent
        /// Refused for good: `bounced` (the address) or `failed`.
        case refused(state: String, reason: String)
        /// Worth another attempt, after `after` when the channel said so.
        case tryAgain(reason: String, after: Duration?)

        var metric: String {
            switch self {
            case .sent: "sent"
            case .refused(let state, _): state
            case .tryAgain: "retry"
            }
        }
    }

    /// The channel is not configured on this server.
    struct Unavailable: Error, CustomStringConvertible {
        let description: String
    }

    let mailer: Mailer?
    let gateway: MessageGateway?
    let linkKey: MessageLinkKey
    /// Where links lead: `https://host[:port]`, no trailing slash.
    let baseURL: String

    /// The channels the server's configuration names.
    init(_ parts: ApplicationParts) throws {
        let configuration = parts.configuration
        mailer = try configuration.mail.map { try Mailer(settings: $0) }
        gateway = try MessageGateway(configuration.messages, webhooks: configuration.webhooks)
        linkKey = MessageLinkKey(client: parts.client, logger: parts.logger)
        baseURL = configuration.messages.baseURL(host: configuration.host, port: configuration.port)
    }

    /// Whether `channel` can be used at all on this server.
    func offers(_ channel: String) -> Bool { channel == "email" ? mailer != nil : gateway != nil }

    func send(_ message: Message, to address: String, tenant: Tenant) async throws -> Outcome {
        let key = try await linkKey.get()
        func link(_ kind: MessageLink.Kind, index: Int? = nil) -> String {
            let path = kind == .status ? "m" : kind.rawValue
            return "\(baseURL)/\(path)/"
                + MessageLink(kind: kind, tenant: tenant.id, message: message.id, index: index).token(key)
        }
        var text = MessageLinks.replacing(in: message.body ?? "", links: message.links) { link(.click, index: $0) }
        let unsubscribe = message.purpose == "marketing" ? link(.unsubscribe) : nil
        if let unsubscribe { text += "\n\n—\n退订 / Unsubscribe: \(unsubscribe)" }
        switch message.channel {
        case "email":
            guard let mailer else { throw Unavailable(description: "e-mail is not configured on this server") }
            let tenantHex = tenant.id.uuidString.lowercased().replacingOccurrences(of: "-", with: "")
            let domain = mailer.settings.fromAddress.split(separator: "@").last.map(String.init) ?? "itinera.invalid"
            var mail = MailMessage(
                to: address, subject: message.subject ?? "", text: text,
                messageID: "m\(message.id).\(tenantHex)@\(domain)")
            if let unsubscribe {
                mail.headers = [
                    ("List-Unsubscribe", "<\(unsubscribe)>"), ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
                ]
            }
            do {
                try await mailer.send(mail)
                return .sent
            } catch let error as MailError where error.permanent {
                return .refused(state: error.bounce ? "bounced" : "failed", reason: error.description)
            } catch {
                return .tryAgain(reason: "\(error)", after: nil)
            }
        default:
            guard let gateway else {
                throw Unavailable(description: "the SMS and WeChat gateway is not configured on this server")
            }
            return await gateway.send(
                message, to: address, text: text, statusURL: link(.status), tenant: tenant)
        }
    }
}
