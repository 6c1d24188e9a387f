import Crypto
import Foundation
import HummingbirdBcrypt
import NIOPosix

/// bcrypt password hashing, run off the event loops on NIO's blocking thread pool.
public struct PasswordHasher: Sendable {
    /// bcrypt's work factor; 12 or more in production.
    public let cost: UInt8

    public init(cost: UInt8 = 12) {
        precondition(cost >= 4 && cost <= 31, "bcrypt cost must be 4…31")
        self.cost = cost
    }

    public func hash(_ password: String) async throws -> String {
        let cost = self.cost
        let input = Self.bcryptInput(password)
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(input, cost: cost) }
    }

    /// What bcrypt is given: the password itself while it fits bcrypt's 72 bytes, and otherwise its
    /// SHA-256 in base64 (44 bytes), so that a long password (72 characters may be 288 bytes) counts
    /// whole instead of being cut at its 72nd byte.
    static func bcryptInput(_ password: String) -> String {
        guard password.utf8.count > 72 else { return password }
        return Data(SHA256.hash(data: Data(password.utf8))).base64EncodedString()
    }

    /// Whether `password` matches `hash`. A `nil` hash (no such account) is checked against a decoy so
    /// that an unknown user takes as long to refuse as a wrong password; the decoy is made on first use,
    /// on the thread pool like every bcrypt call, never on a request's task.
    public func verify(_ password: String, against hash: String?) async throws -> Bool {
        let password = Self.bcryptInput(password)
        return try await NIOThreadPool.singleton.runIfActive {
            guard let hash else {
                _ = Bcrypt.verify(password, hash: Self.decoyHash)
                return false
            }
            return Bcrypt.verify(password, hash: hash)
        }
    }

    /// A hash of no one's password, at the minimum production cost.
    private static let decoyHash = Bcrypt.hash("decoy password for timing equality", cost: 12)
}
