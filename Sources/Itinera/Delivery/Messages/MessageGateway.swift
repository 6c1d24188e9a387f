import Foundation

/// The HTTP gateway SMS and WeChat messages go through (`ITINERA_MESSAGE_GATEWAY_URL`): one JSON
/// POST per message, signed as webhooks are (Standard Webhooks headers, the gateway's `whsec_…`
/// secret), whose body names the channel, the recipient, the text and the URL the gateway posts the
/// message's fate to (`docs/messages.md`). A 2xx is `sent`; a 4xx other than 408 and 429 refuses the
/// message for good; anything else is tried again.
struct MessageGateway: Sendable {
    let url: String
    let secret: WebhookSecret
    let client: WebhookClient

    /// The gateway the settings name, if any. The operator chose its address, so it may be on the
    /// operator's own network (private addresses are admitted; link-local and metadata ones are not).
    init?(_ settings: MessageSettings, webhooks: WebhookSettings) throws {
        guard let url = settings.gatewayURL, let secret = settings.gatewaySecret else { return nil }
        var clientSettings = webhooks
        clientSettings.allowPrivate = true
        self.url = url
        self.secret = WebhookSecret(text: secret)
        self.client = try WebhookClient(settings: clientSettings)
    }

    struct Request: Encodable {
        let id: String
        let channel: String
        let to: String
        let text: String
        let purpose: String
        let tenant: String
        let statusURL: String

        enum CodingKeys: String, CodingKey {
            case id, channel, to, text, purpose, tenant
            case statusURL = "status_url"
        }
    }

    func send(_ message: Message, to address: String, text: String, statusURL: String, tenant: Tenant) async
        -> MessageChannels.Outcome
    {
        let id = "msg_\(tenant.id.uuidString.lowercased())_\(message.id)"
        let request = Request(
            id: id, channel: message.channel, to: address, text: text, purpose: message.purpose, tenant: tenant.slug,
            statusURL: statusURL)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let body = try? Array(encoder.encode(request)) else {
            return .refused(state: "failed", reason: "the message could not be encoded")
        }
        let timestamp = Int64(Date().timeIntervalSince1970)
        let headers = [
            ("webhook-id", id), ("webhook-timestamp", String(timestamp)),
            ("webhook-signature", WebhookSignature.header(id: id, timestamp: timestamp, body: body, secrets: [secret])),
        ]
        do {
            let response = try await client.post(url, headers: headers, body: body)
            switch response.status {
            case 200..<300: return .sent
            case 408, 429:
                return .tryAgain(reason: "the gateway answered \(response.status)", after: response.retryAfter)
            case 400..<500: return .refused(state: "failed", reason: "the gateway answered \(response.status)")
            default: return .tryAgain(reason: "the gateway answered \(response.status)", after: response.retryAfter)
            }
        } catch {
            return .tryAgain(reason: "the gateway: \(error)", after: nil)
        }
    }
}
