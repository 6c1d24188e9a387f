import Crypto
import Foundation
import PostgresNIO

/// The first answer to each write a partner may retry, by operation and `Idempotency-Key` (tenant
/// schema): one sequence for every retried write of every capability (`once`; the order path fuses
/// the claim and the stored answer into its own statements, `OrderClaim` and `OrderInsert`).
///
/// A request first claims its key by inserting it. A concurrent request with the same key waits on
/// the unique index until the first commits, then finds the stored answer; if the first rolled
/// back, the second goes ahead as if it were first. Only successful answers are stored, in the same
/// transaction as the write they describe.
enum IdempotencyStore {
    /// What claiming a key found.
    enum Claim: Sendable, Equatable {
        /// The key is new: do the work, then `complete`.
        case claimed
        /// The key answered before: send this again.
        case replay(status: Int, response: String)
    }

    /// The key as the client sent it, checked: 1–255 visible ASCII characters.
    static func key(_ text: String) throws(Problem) -> String {
        guard (1...255).contains(text.utf8.count), text.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw Problem(
                status: .badRequest, type: "invalid-idempotency-key", title: "Invalid Idempotency-Key",
                detail: "Idempotency-Key must be 1–255 visible ASCII characters, such as a UUID.",
                field: "Idempotency-Key")
        }
        return text
    }

    /// The hash a request is recognised by: SHA-256 of its body re-encoded with sorted keys, so the
    /// same request sent again with its keys in another order or other spacing is the same request.
    static func requestHash(_ body: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Data(SHA256.hash(data: try encoder.encode(body)))
    }

    static func claim(
        operation: String,
        key: String,
        requestHash: Data,
        on tenant: TenantConnection
    ) async throws -> Claim {
        let inserted = try await tenant.connection.execute(
            IdempotencyClaim(operation: operation, key: key, requestHash: requestHash), logger: tenant.logger)
        for try await _ in inserted { return .claimed }
        return try await stored(operation: operation, key: key, requestHash: requestHash, on: tenant)
    }

    /// The answer stored for a key another request claimed: a 422 when that request's body was
    /// different.
    static func stored(
        operation: String,
        key: String,
        requestHash: Data,
        on tenant: TenantConnection
    ) async throws -> Claim {
        let stored = try await tenant.query(
            """
            SELECT request_hash, status, response::text FROM idempotency_keys
            WHERE operation = \(operation) AND key = \(key)
            """
        )
        for try await (hash, status, response) in stored.decode((Data, Int?, String?).self) {
            guard hash == requestHash else {
                throw Problem(
                    status: .unprocessableContent, type: "idempotency-key-reused", title: "Idempotency-Key reused",
                    detail:
                        "This Idempotency-Key was used with a different request body; use a new key for a new request.",
                    field: "Idempotency-Key")
            }
            if let status, let response { return .replay(status: status, response: response) }
        }
        // Claimed and committed without an answer cannot happen: the answer is stored in the claim's
        // own transaction.
        throw Problem.conflict("A request with this Idempotency-Key is still being processed; retry shortly.")
    }

    /// Stores the answer to a claimed key.
    static func complete(
        operation: String,
        key: String,
        status: Int,
        response: String,
        on tenant: TenantConnection
    ) async throws {
        let rows = try await tenant.connection.execute(
            IdempotencyAnswer(operation: operation, key: key, status: status, response: response),
            logger: tenant.logger)
        for try await _ in rows {}
    }

    /// The idempotent-write sequence, inside the caller's tenant transaction: claims `key` for
    /// `operation`; a key answered before replays that answer (a 422 when the request was another,
    /// a 409 while it is in flight); otherwise `work` runs and its answer is stored with `status`, so
    /// that it commits with the write. Without a key, `work` just runs.
    static func once<Answer: Codable & Sendable>(
        operation: String, key: String?, requestHash: Data, status: Int = 201, on tenant: TenantConnection,
        _ work: () async throws -> Answer
    ) async throws -> Answer {
        guard let key else { return try await work() }
        if case .replay(_, let response) = try await claim(
            operation: operation, key: key, requestHash: requestHash, on: tenant)
        {
            return try decoder.decode(Answer.self, from: Data(response.utf8))
        }
        let answer = try await work()
        try await complete(
            operation: operation, key: key, status: status,
            response: String(decoding: try encoder.encode(answer), as: UTF8.self), on: tenant)
        return answer
    }

    /// Stored answers are written and read back with the same coder, so a replay is the first answer.
    static let encoder = JSONEncoder()
    static let decoder = JSONDecoder()
}
