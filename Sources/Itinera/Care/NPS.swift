import Crypto
import Foundation

/// A customer's answer to "how likely are you to recommend us?", 0–10, at a stage of a trip.
struct NPSResponse: Sendable, Equatable {
    var id: Int64
    var customerID: Int64
    var orderID: Int64?
    var score: Int
    var comment: String?
    var stage: String
    var source: String
    var complaintID: Int64?
    var respondedAt: Date

    /// 9–10 promote, 0–6 detract, 7–8 are passive.
    static func isDetractor(_ score: Int) -> Bool { score <= 6 }
}

/// The counts behind a net promoter score.
struct NPSCounts: Sendable, Equatable {
    var responses = 0
    var promoters = 0
    var passives = 0
    var detractors = 0

    /// % promoters − % detractors, −100 to 100; nil without responses.
    var score: Double? {
        responses == 0 ? nil : Double(promoters - detractors) * 100 / Double(responses)
    }
}

/// The survey link of a post-trip message: it names the tenant and the order and is signed with the
/// server's link key, so that the traveller answers without signing in and nobody can answer for
/// an order that is not theirs to answer.
///
/// The token is `nps.<tenant id, 32 hex>.<order id>.<signature>`, the signature the first 16 bytes
/// of HMAC-SHA256 over `itinera-survey:` and what precedes it, in unpadded base64url.
struct SurveyLink: Sendable, Equatable {
    var tenant: UUID
    var order: Int64

    func token(_ key: SymmetricKey) -> String {
        let body = unsigned
        return body + "." + MessageLink.signature(body, key, purpose: "itinera-survey")
    }

    init(tenant: UUID, order: Int64) {
        self.tenant = tenant
        self.order = order
    }

    init?(token: String, key: SymmetricKey) {
        guard token.count <= 200, let dot = token.lastIndex(of: ".") else { return nil }
        let body = String(token[..<dot])
        let signature = MessageLink.signature(body, key, purpose: "itinera-survey")
        guard constantTimeEquals(Data(token[token.index(after: dot)...].utf8), Data(signature.utf8)) else { return nil }
        let parts = body.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "nps", parts[1].count == 32, let order = Int64(parts[2]), order > 0,
            let tenant = MessageLink.uuid(hex: parts[1])
        else { return nil }
        self.init(tenant: tenant, order: order)
    }

    private var unsigned: String {
        "nps.\(tenant.uuidString.lowercased().replacingOccurrences(of: "-", with: "")).\(order)"
    }
}

/// What the survey links of a server look like: its public base URL and its link key.
struct SurveyLinks: Sendable {
    let baseURL: String
    let key: MessageLinkKey

    func url(tenant: UUID, order: Int64) async throws -> String {
        "\(baseURL)/s/\(SurveyLink(tenant: tenant, order: order).token(try await key.get()))"
    }
}
