public import Foundation

/// Where e-mail goes: `ITINERA_SMTP_URL` (`smtp://user:password@host:587`: STARTTLS; `smtps://…:465`:
/// TLS from the first byte) and `ITINERA_MAIL_FROM` (`Itinera <noreply@example.com>` or an address).
/// Over `smtp://` the client upgrades with STARTTLS whenever the server offers it, and never sends a
/// password in the clear except to a server on this machine.
public struct MailSettings: Sendable, Equatable {
    public enum Security: Sendable, Equatable {
        case startTLS
        case implicitTLS
    }

    public var host: String
    public var port: Int
    public var username: String?
    public var password: String?
    public var security: Security
    /// The sender's address and, optionally, display name.
    public var fromAddress: String
    public var fromName: String?
    /// A PEM file of authorities trusted beside the system's (`ITINERA_SMTP_CA_FILE`).
    public var extraTrustRoots: String?

    public init(url text: String, from: String) throws {
        guard let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(),
            let host = url.host, !host.isEmpty
        else { throw ConfigurationError("smtp-url must be smtp://[user:password@]host[:port] or smtps://…") }
        switch scheme {
        case "smtp": security = .startTLS
        case "smtps": security = .implicitTLS
        default: throw ConfigurationError("smtp-url must start smtp:// or smtps://, not \(scheme)://")
        }
        self.host = host
        self.port = url.port ?? (security == .implicitTLS ? 465 : 587)
        self.username = url.user?.removingPercentEncoding
        self.password = url.password?.removingPercentEncoding
        let parsed = try Self.sender(from)
        self.fromAddress = parsed.address
        self.fromName = parsed.name
    }

    /// `Name <address>` or a bare address.
    static func sender(_ text: String) throws -> (address: String, name: String?) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let open = trimmed.lastIndex(of: "<"), trimmed.hasSuffix(">") {
            let address = String(trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)])
            let name = trimmed[..<open].trimmingCharacters(in: CharacterSet(charactersIn: " \""))
            guard MailAddress.isValid(address) else { throw ConfigurationError("mail-from has no valid address") }
            return (address, name.isEmpty ? nil : name)
        }
        guard MailAddress.isValid(trimmed) else { throw ConfigurationError("mail-from must be an e-mail address") }
        return (trimmed, nil)
    }
}

/// The minimal check of an address the server writes into an SMTP envelope: one `@`, no spaces,
/// brackets or line breaks (which could end the command).
enum MailAddress {
    static func isValid(_ address: String) -> Bool {
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && !parts[1].isEmpty && address.count <= 254
            && !address.contains(where: { $0.isWhitespace || "<>\r\n,;\"".contains($0) })
    }
}
