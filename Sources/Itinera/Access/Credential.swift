import Foundation

/// The caller's credential, read from the request's `Authorization` header.
public enum Credential: Sendable, Equatable {
    case session(SessionToken)
    case apiKey(APIKeyToken)

    /// The credential of a `Bearer` header, or a 401 saying what is wrong with the header.
    static func parse(header: String?) throws(Problem) -> Credential {
        guard let header, !header.isEmpty else {
            throw .unauthorized("This operation needs an `Authorization: Bearer <token>` header.")
        }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw .unauthorized("The Authorization header must be `Bearer <token>`.")
        }
        let token = String(parts[1]).trimmingCharacters(in: .whitespaces)
        if token.hasPrefix(APIKeyToken.marker) {
            guard let key = APIKeyToken(parsing: token) else {
                throw .unauthorized("The API key is malformed; keys look like `itn_<12 characters>_<secret>`.")
            }
            return .apiKey(key)
        }
        if token.hasPrefix(SessionToken.prefix) {
            guard let session = SessionToken(parsing: token) else {
                throw .unauthorized("The bearer token is not a valid session token.")
            }
            return .session(session)
        }
        throw .unauthorized("The bearer token is neither an API key (`itn_…`) nor a session token (`its_…`).")
    }

    /// Query parameters that would carry a credential in the URL, where logs and proxies keep it.
    static let queryNames: Set<String> = ["api_key", "apikey", "key", "token", "access_token", "authorization"]

    /// A 401 when the request's query string carries something that looks like a credential.
    static func refuseInQuery(_ path: String) throws(Problem) {
        guard let start = path.firstIndex(of: "?") else { return }
        for pair in path[path.index(after: start)...].split(separator: "&") {
            let item = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = (item.first.map(String.init)?.removingPercentEncoding ?? "").lowercased()
            let value = item.count > 1 ? (String(item[1]).removingPercentEncoding ?? "") : ""
            if queryNames.contains(name) || value.hasPrefix(APIKeyToken.marker) || value.hasPrefix(SessionToken.prefix)
            {
                throw .unauthorized(
                    "Credentials are not accepted in the URL; send them as `Authorization: Bearer <token>`."
                )
            }
        }
    }
}
