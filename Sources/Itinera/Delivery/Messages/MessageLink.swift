import Crypto
import Foundation
import Logging
import Synchronization

/// A link in a message that names the message and is signed by the server, so that it can be
/// followed without signing in and cannot be made up: the one-click unsubscribe (`u`), a tracked
/// click (`r`, with the link's index) and the status callback a message gateway calls (`s`).
///
/// The token is `<kind>.<tenant id, 32 hex>.<message id>[.<index>].<signature>`, the signature the
/// first 16 bytes of HMAC-SHA256 over what precedes it, in unpadded base64url.
struct MessageLink: Sendable, Equatable {
    enum Kind: String, Sendable {
        case unsubscribe = "u"
        case click = "r"
        case status = "s"
    }

    var kind: Kind
    var tenant: UUID
    var message: Int64
    var index: Int?

    /// The token, signed with `key`.
    func token(_ key: SymmetricKey) -> String {
        let body = unsigned
        return body + "." + Self.signature(body, key)
    }

    /// The link the token stands for, if `token` is one this server signed with `key`.
    init?(token: String, key: SymmetricKey) {
        guard token.count <= 200, let dot = token.lastIndex(of: ".") else { return nil }
        let body = String(token[..<dot])
        let signature = token[token.index(after: dot)...]
        guard constantTimeEquals(Data(signature.utf8), Data(Self.signature(body, key).utf8)) else { return nil }
        let parts = body.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 || parts.count == 4, let kind = Kind(rawValue: String(parts[0])),
            let tenant = Self.uuid(hex: parts[1]), let message = Int64(parts[2]), message > 0
        else { return nil }
        var index: Int?
        if parts.count == 4 {
            guard kind == .click, let value = Int(parts[3]), value >= 0, value < MessageLinks.maximum else {
                return nil
            }
            index = value
        } else if kind == .click {
            return nil
        }
        self.init(kind: kind, tenant: tenant, message: message, index: index)
    }

    init(kind: Kind, tenant: UUID, message: Int64, index: Int? = nil) {
        self.kind = kind
        self.tenant = tenant
        self.message = message
        self.index = index
    }

    private var unsigned: String {
        let hex = tenant.uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        return [kind.rawValue, hex, String(message)].joined(separator: ".") + (index.map { ".\($0)" } ?? "")
    }

    /// The signature of `body` for links of `purpose` (which keeps one kind of link from passing
    /// for another).
    static func signature(_ body: String, _ key: SymmetricKey, purpose: String = "itinera-link") -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array("\(purpose):\(body)".utf8), using: key)
        return Data(Array(mac).prefix(16)).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func uuid(hex: Substring) -> UUID? {
        guard hex.count == 32, hex.allSatisfy(\.isHexDigit) else { return nil }
        let h = Array(hex)
        let text = [h[0..<8], h[8..<12], h[12..<16], h[16..<20], h[20..<32]].map { String($0) }.joined(separator: "-")
        return UUID(uuidString: text)
    }
}

/// The server's key for message links (`itinera.server_keys`, made by the control migration and
/// shared by every instance), read once.
final class MessageLinkKey: Sendable {
    private let client: PQPool
    private let logger: Logger
    private let key = Mutex<Data?>(nil)

    init(client: PQPool, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    func get() async throws -> SymmetricKey {
        if let known = key.withLock({ $0 }) { return SymmetricKey(data: known) }
        let logger = self.logger
        let rows = try await client.withConnection { connection in
            try await connection.query("SELECT secret FROM itinera.server_keys WHERE name = 'links'", logger: logger)
        }
        guard let secret = try rows.first?.decode(Data.self) else {
            throw JobError("the server has no key for message links (control migration 0008 is missing)")
        }
        key.withLock { $0 = secret }
        return SymmetricKey(data: secret)
    }
}
