import Foundation

/// A community offer: a coupon limited to a community and/or a tier, with one code for everyone
/// (`single`) or one per recipient, total and per-customer limits and a validity window.
struct Offer: Sendable, Equatable {
    enum CodeMode: String, Sendable {
        case single
        case perRecipient = "per_recipient"
    }

    var id: Int64
    var name: String
    var benefit: String
    var communityID: Int64?
    var programID: Int64?
    var minTier: String?
    var codeMode: CodeMode
    var codePrefix: String
    /// The code of a `single` offer.
    var code: String?
    var maxRedemptions: Int?
    var perCustomerLimit: Int
    var validFrom: Date
    var validUntil: Date
    var state: String
    var redeemedCount: Int
    var createdAt: Date
    var updatedAt: Date

    /// Most offers one tenant may keep.
    static let maxPerTenant = 2_000

    var auditJSON: Data? {
        let formatter = ISO8601DateFormatter()
        return try? JSONSerialization.data(
            withJSONObject: [
                "name": name, "benefit": benefit, "community_id": communityID.map(String.init) as Any,
                "program_id": programID.map(String.init) as Any, "min_tier": minTier as Any,
                "code_mode": codeMode.rawValue, "code_prefix": codePrefix,
                "max_redemptions": maxRedemptions as Any, "per_customer_limit": perCustomerLimit,
                "valid_from": formatter.string(from: validFrom), "valid_until": formatter.string(from: validUntil),
                "state": state,
            ], options: [.sortedKeys])
    }

    /// A code no one can guess: the prefix, a dash and ten characters of Crockford's base32 (50
    /// random bits; no I, L, O or U to misread).
    static func code(prefix: String) -> String {
        let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
        var generator = SystemRandomNumberGenerator()
        return prefix + "-" + String((0..<10).map { _ in alphabet[Int(generator.next(upperBound: UInt8(32)))] })
    }
}

/// One redemption of an offer by a customer.
struct OfferRedemption: Sendable, Equatable {
    var id: Int64
    var offerID: Int64
    var customerID: Int64
    var code: String
    var orderID: Int64?
    var redeemedAt: Date
}

/// A code issued to one recipient.
struct OfferCode: Sendable, Equatable {
    var code: String
    var offerID: Int64
    var customerID: Int64
    var source: String
    var issuedAt: Date
}
