import Crypto
public import Foundation

/// A bearer secret of the shape `<prefix>` and 256 random bits in base64url. Only its SHA-256 is
/// stored, so a copy of the database does not yield usable tokens.
public protocol OpaqueToken: Sendable, Equatable {
    static var prefix: String { get }
    var value: String { get }
    init(unchecked value: String)
}

extension OpaqueToken {
    /// A fresh token from the system's cryptographic random source.
    public static func generate() -> Self {
        Self(unchecked: prefix + Data(randomBytes(32)).base64URLEncoded())
    }

    /// Accepts only the shape `generate` makes.
    public init?(parsing text: String) {
        guard text.hasPrefix(Self.prefix), text.utf8.count == Self.prefix.utf8.count + 43,
            text.utf8.dropFirst(Self.prefix.utf8.count).allSatisfy(isBase64URL)
        else { return nil }
        self.init(unchecked: text)
    }

    /// The value kept in the database.
    public var hash: Data { Data(SHA256.hash(data: Data(value.utf8))) }
}

/// An admin session token, `its_…`.
public struct SessionToken: OpaqueToken {
    public static let prefix = "its_"
    public let value: String
    /// The value kept in the database, computed once: every request with a session needs it (the
    /// lookup, the credential's hints).
    public let hash: Data

    public init(unchecked value: String) {
        self.value = value
        self.hash = Data(SHA256.hash(data: Data(value.utf8)))
    }
}

/// A one-time invitation token, `itv_…`, with which an invited user sets a password.
public struct InvitationToken: OpaqueToken {
    public static let prefix = "itv_"
    public let value: String
    public init(unchecked value: String) { self.value = value }
}

/// `count` bytes from the system's cryptographic random source.
func randomBytes(_ count: Int) -> [UInt8] {
    var generator = SystemRandomNumberGenerator()
    return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
}

func isBase64URL(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
        UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
        true
    default:
        false
    }
}

/// Compares two byte strings in time that depends only on their lengths.
func constantTimeEquals(_ a: Data, _ b: Data) -> Bool {
    guard a.count == b.count else { return false }
    var difference: UInt8 = 0
    for (x, y) in zip(a, b) { difference |= x ^ y }
    return difference == 0
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
