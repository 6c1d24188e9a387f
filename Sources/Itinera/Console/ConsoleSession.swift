import Crypto
import Foundation
import HTTPTypes

/// The console's sign-in as the browser keeps it: the session token in a cookie scripts cannot read
/// (`HttpOnly; Secure; SameSite=Strict`), and, for every form, a CSRF token derived from the session
/// token with the server's link key, so that a form another site posts is refused even where the
/// browser sends the cookie.
struct ConsoleSession: Sendable {
    static let cookie = "itinera_console"

    let token: SessionToken

    /// The session cookie of `request`, when it carries a well-formed one.
    init?(_ headers: HTTPFields) {
        for header in headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0] == Self.cookie, let token = SessionToken(parsing: String(parts[1])) {
                    self.token = token
                    return
                }
            }
        }
        return nil
    }

    init(token: SessionToken) { self.token = token }

    /// The `Set-Cookie` that keeps `token` for the console (or, with nil, forgets it).
    static func setCookie(_ token: SessionToken?, maxAge: Int) -> String {
        "\(cookie)=\(token?.value ?? ""); Path=/console; Max-Age=\(token == nil ? 0 : maxAge); HttpOnly; Secure; SameSite=Strict"
    }

    /// The CSRF token of this session's forms.
    func csrf(_ key: SymmetricKey) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array("itinera-console-csrf:\(token.value)".utf8), using: key)
        return Data(mac).map { String(format: "%02x", $0) }.joined()
    }

    /// Whether a form post carries this session's CSRF token and, when the browser says where it
    /// comes from, comes from the console's own origin.
    func admits(form: [String: String], headers: HTTPFields, authority: String?, key: SymmetricKey) -> Bool {
        if let site = headers[HTTPField.Name("Sec-Fetch-Site")!], site != "same-origin" { return false }
        // An origin names the host and, unless it is the scheme's default, the port; so does the
        // request's authority. They must be the same.
        if let origin = headers[HTTPField.Name("Origin")!] {
            guard let url = URL(string: origin), let host = url.host,
                (url.port.map { "\(host):\($0)" } ?? host) == authority
            else { return false }
        }
        guard let sent = form["csrf"] else { return false }
        return constantTimeEquals(Data(sent.utf8), Data(csrf(key).utf8))
    }
}
