import Crypto
public import Foundation

/// A per-tenant API key, `itn_<prefix>_<secret>`: 12 public characters that find the key's row and
/// 256 random bits of secret. Only the public prefix and the SHA-256 of the whole key are stored.
public struct APIKeyToken: Sendable, Equatable {
    public static let marker = "itn_"
    static let prefixAlphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789".utf8)

    public let value: String
    /// The public part, shown in key lists so admins can tell keys apart.
    public let prefix: String

    public static func generate() -> APIKeyToken {
        // 36 does not divide 256: drawing below 252 (= 7 × 36) keeps every character equally likely.
        var prefix: [UInt8] = []
        while prefix.count < 12 {
            for byte in randomBytes(16) where byte < 252 && prefix.count < 12 {
                prefix.append(prefixAlphabet[Int(byte) % 36])
            }
        }
        let publicPart = String(decoding: prefix, as: UTF8.self)
        let secret = Data(randomBytes(32)).base64URLEncoded()
        return APIKeyToken(value: "\(marker)\(publicPart)_\(secret)", prefix: publicPart)
    }

    /// Accepts only the shape `generate` makes.
    public init?(parsing text: String) {
        let utf8 = Array(text.utf8)
        guard text.hasPrefix(Self.marker), utf8.count == 4 + 12 + 1 + 43, utf8[16] == UInt8(ascii: "_"),
            utf8[4..<16].allSatisfy({ Self.prefixAlphabet.contains($0) }),
            utf8[17...].allSatisfy(isBase64URL)
        else { return nil }
        self.init(value: text, prefix: String(decoding: utf8[4..<16], as: UTF8.self))
    }

    private init(value: String, prefix: String) {
        self.value = value
        self.prefix = prefix
    }

    /// The value kept in `itinera.api_keys.key_hash`.
    public var hash: Data { Data(SHA256.hash(data: Data(value.utf8))) }
}
