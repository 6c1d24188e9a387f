import Crypto
import Foundation

/// An address that receives the tenant's events.
struct WebhookEndpoint: Sendable, Equatable {
    var id: UUID
    var url: String
    var description: String?
    var eventTypes: [String]
    var state: String
    var disabledReason: String?
    var failingSince: Date?
    var previousSecretExpiresAt: Date?
    var createdAt: Date

    /// Most endpoints one tenant may have.
    static let maxPerTenant = 20

    /// The event types partners may subscribe to (`WebhookEventType` in `openapi.yaml`).
    static let eventTypes: Set<String> = [
        "customer.created", "customer.merged", "customer.erased", "order.created", "order.cancelled",
        "member.enrolled", "member.tier_changed", "points.earned", "points.redeemed", "points.expired",
        "points.adjusted", "webhook_endpoint.disabled", "message.sent", "message.delivered", "message.bounced",
        "message.failed", "message.suppressed", "message.clicked", "customer.unsubscribed", "community.joined",
        "community.left", "registration.created", "registration.cancelled", "registration.promoted",
        "registration.checked_in", "registration.confirmed", "event.cancelled", "offer.code_issued", "offer.redeemed",
        "contest.entry_created", "contest.winners_chosen", "complaint.opened", "complaint.state_changed",
        "complaint.sla_breached", "risk_alert.issued", "risk_alert.completed", "nps.answered", "campaign.scheduled",
        "campaign.launched", "campaign.paused",
        "campaign.resumed",
        "campaign.cancelled", "campaign.completed", "campaign.rerun",
    ]

    /// The state as the audit trail keeps it.
    var auditJSON: Data? {
        try? JSONSerialization.data(
            withJSONObject: [
                "url": url, "description": description as Any, "event_types": eventTypes, "state": state,
                "disabled_reason": disabledReason as Any,
            ], options: [.sortedKeys])
    }
}

/// A signing secret: `whsec_` and the base64 of 32 random bytes (the Standard Webhooks form).
struct WebhookSecret: Sendable, Equatable {
    static let prefix = "whsec_"
    let text: String

    static func generate() -> WebhookSecret {
        let key = SymmetricKey(size: .bits256)
        return WebhookSecret(text: prefix + key.withUnsafeBytes { Data($0).base64EncodedString() })
    }

    /// The HMAC key: the bytes the base64 after the prefix stands for.
    var key: SymmetricKey? {
        guard text.hasPrefix(Self.prefix), let bytes = Data(base64Encoded: String(text.dropFirst(Self.prefix.count)))
        else { return nil }
        return SymmetricKey(data: bytes)
    }
}

/// The Standard Webhooks signature: `v1,` and the base64 of HMAC-SHA256 over `id.timestamp.body`.
enum WebhookSignature {
    static func sign(id: String, timestamp: Int64, body: [UInt8], secret: WebhookSecret) -> String? {
        guard let key = secret.key else { return nil }
        var content = Array("\(id).\(timestamp).".utf8)
        content.append(contentsOf: body)
        let mac = HMAC<SHA256>.authenticationCode(for: content, using: key)
        return "v1," + Data(mac).base64EncodedString()
    }

    /// The `webhook-signature` header: one signature per secret, separated by spaces.
    static func header(id: String, timestamp: Int64, body: [UInt8], secrets: [WebhookSecret]) -> String {
        secrets.compactMap { sign(id: id, timestamp: timestamp, body: body, secret: $0) }.joined(separator: " ")
    }
}

/// Checks of what admins write about endpoints.
enum WebhookInput {
    /// An absolute `https://` URL with a host (or `http://` when the server admits private
    /// receivers; where it points is checked again when the server connects).
    static func url(_ text: String, allowPlainHTTP: Bool) throws(Problem) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard trimmed.count <= 2048, let url = URL(string: trimmed), let scheme = url.scheme?.lowercased(),
            let host = url.host, !host.isEmpty
        else {
            throw .invalidField("url", "url must be an absolute https:// URL with a host.")
        }
        guard scheme == "https" || (scheme == "http" && allowPlainHTTP) else {
            throw .invalidField("url", "url must use https:// (it is '\(scheme)').")
        }
        guard url.user == nil, url.password == nil else {
            throw .invalidField("url", "url must not carry a user name or password.")
        }
        guard url.fragment == nil else { throw .invalidField("url", "url must not have a #fragment.") }
        return trimmed
    }

    static func eventTypes(_ types: [String]?) throws(Problem) -> [String] {
        var chosen: [String] = []
        for (index, type) in (types ?? []).enumerated() {
            guard WebhookEndpoint.eventTypes.contains(type) else {
                throw .invalidField(
                    "event_types[\(index)]",
                    "event_types[\(index)] '\(type)' is not an event type; they are \(WebhookEndpoint.eventTypes.sorted().joined(separator: ", "))."
                )
            }
            if !chosen.contains(type) { chosen.append(type) }
        }
        return chosen.sorted()
    }

    static func description(_ text: String?) throws(Problem) -> String? {
        guard let text = text?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else { return nil }
        guard text.count <= 500 else { throw .invalidField("description", "description is at most 500 characters.") }
        return text
    }
}
