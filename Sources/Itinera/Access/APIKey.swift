public import Foundation

/// A tenant's API key as kept in `itinera.api_keys`, without its secret.
public struct APIKey: Sendable, Equatable, Codable {
    public var id: UUID
    public var name: String
    public var prefix: String
    public var scopes: [String]
    public var createdAt: Date
    public var expiresAt: Date?
    public var revokedAt: Date?
    public var lastUsedAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, name, prefix, scopes
        case createdAt = "created_at"
        case expiresAt = "expires_at"
        case revokedAt = "revoked_at"
        case lastUsedAt = "last_used_at"
    }

    /// The key as the audit trail records it.
    var auditJSON: Data { (try? AuditJSON.encoder.encode(self)) ?? Data() }
}

/// The encoder of audit documents: sorted keys, RFC 3339 times.
enum AuditJSON {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()
}
