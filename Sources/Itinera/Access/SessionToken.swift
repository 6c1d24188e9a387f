import Crypto
public import Foundation

/// An admin session token: `its_` and 256 random bits in base64url. Only its SHA-256 is stored, so a
/// copy of the database does not yield usable tokens.
public struct SessionToken: Sendable, Equatable {
    public static let prefix = "its_"
    public let value: String

    /// A fresh token from the system's cryptographic random source.
    public static func generate() -> SessionToken {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return SessionToken(value: prefix + Data(bytes).base64URLEncoded())
    }

    /// Accepts only the shape `generate` makes.
    public init?(parsing text: String) {
        guard text.hasPrefix(Self.prefix), text.utf8.count == Self.prefix.utf8.count + 43,
            text.utf8.dropFirst(Self.prefix.utf8.count).allSatisfy(Self.isBase64URL)
        else { return nil }
        self.value = text
    }

    private init(value: String) {
        self.value = value
    }

    /// The value kept in `itinera.sessions.token_hash`.
    public var hash: Data { Data(SHA256.hash(data: Data(value.utf8))) }

    static func isBase64URL(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
            true
        default:
            false
        }
    }
}

extension Data {
    /// Base64url without padding (RFC 4648 §5).
    func base64URLEncoded() -> String {
        base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
