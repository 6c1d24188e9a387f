import Foundation

/// How messages reach customers beside e-mail (`MailSettings`): the address links in messages lead
/// to, and the HTTP gateway that sends SMS and WeChat messages.
public struct MessageSettings: Sendable, Equatable {
    /// Where this server is reached from the internet, for the links in messages
    /// (`ITINERA_PUBLIC_URL`, e.g. `https://crm.example.com`); by default the server's own address.
    public var publicURL: String?
    /// The gateway SMS and WeChat messages are posted to (`ITINERA_MESSAGE_GATEWAY_URL`).
    public var gatewayURL: String?
    /// The `whsec_…` secret the gateway's requests are signed with, as webhooks are
    /// (`ITINERA_MESSAGE_GATEWAY_SECRET`).
    public var gatewaySecret: String?

    public init() {}

    /// The public base URL without a trailing slash: `publicURL`, or `https://host:port` with a
    /// wildcard or loopback host named `localhost`.
    func baseURL(host: String, port: Int) -> String {
        if let publicURL { return publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL }
        let name = ["0.0.0.0", "::", "127.0.0.1", "::1"].contains(host) ? "localhost" : host
        return port == 443 ? "https://\(name)" : "https://\(name):\(port)"
    }

    /// Checks the settings read from configuration.
    static func validated(publicURL: String?, gatewayURL: String?, gatewaySecret: String?) throws -> MessageSettings {
        var settings = MessageSettings()
        if let publicURL {
            guard let url = URL(string: publicURL), let scheme = url.scheme?.lowercased(),
                scheme == "https" || scheme == "http", url.host != nil, url.query == nil
            else {
                throw ConfigurationError("public-url must be an absolute https:// URL, like https://crm.example.com")
            }
            settings.publicURL = publicURL
        }
        if let gatewayURL {
            guard let url = URL(string: gatewayURL), ["https", "http"].contains(url.scheme?.lowercased() ?? ""),
                url.host != nil
            else { throw ConfigurationError("message-gateway-url must be an absolute https:// URL") }
            guard let gatewaySecret, WebhookSecret(text: gatewaySecret).key != nil else {
                throw ConfigurationError("message-gateway-url needs message-gateway-secret, a whsec_… secret")
            }
            settings.gatewayURL = gatewayURL
            settings.gatewaySecret = gatewaySecret
        }
        return settings
    }
}
