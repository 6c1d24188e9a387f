import Foundation

/// Reads the caller's credential from the request's `Authorization` header.
enum Credentials {
    /// The session token of a `Bearer` header, or a 401 saying what is wrong with the header.
    static func sessionToken(from header: String?) throws(Problem) -> SessionToken {
        guard let header, !header.isEmpty else {
            throw .unauthorized("This operation needs an `Authorization: Bearer <token>` header.")
        }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw .unauthorized("The Authorization header must be `Bearer <token>`.")
        }
        guard let token = SessionToken(parsing: String(parts[1]).trimmingCharacters(in: .whitespaces)) else {
            throw .unauthorized("The bearer token is not a valid session token.")
        }
        return token
    }
}
