import Foundation

/// One message to a customer: what was sent, on which channel and for which purpose, and what
/// became of it (`queued`, then `sent`, and `delivered` or `bounced` where the channel tells;
/// `failed` when the channel refused it for good; `suppressed` when consent was gone by the time of
/// sending).
struct Message: Sendable, Equatable {
    var id: Int64
    var customerID: Int64
    var channel: String
    var purpose: String
    var template: String?
    var source: String
    var sourceRef: String?
    /// Nil once the customer is erased.
    var address: String?
    var subject: String?
    var body: String?
    var links: [String]
    var state: String
    var stateReason: String?
    var createdAt: Date
    var sentAt: Date?
    var deliveredAt: Date?
    var bouncedAt: Date?
    var firstClickAt: Date?
    var clicks: Int

    static let channels = ["email", "sms", "wechat"]
    static let states = ["queued", "sent", "delivered", "bounced", "failed", "suppressed"]

    /// The identity a channel reaches the customer at: `kind` and, for an external identity, its
    /// `source`.
    static func identity(for channel: String) -> (kind: String, source: String?) {
        switch channel {
        case "email": ("email", nil)
        case "wechat": ("external", "wechat")
        default: ("phone", nil)
        }
    }

    /// How the channel is named in messages to people.
    static func channelName(_ channel: String) -> String {
        switch channel {
        case "email": "e-mail"
        case "wechat": "WeChat"
        default: "SMS"
        }
    }
}

/// What a sender asks for: the rendered text, on a channel, for a purpose, to a customer.
struct MessageDraft: Sendable {
    var customerID: Int64
    var channel: String
    var purpose: String
    var template: String?
    var source: String
    var sourceRef: String?
    var subject: String?
    var body: String
    var links: [String]
}

/// The links in a message's text, which are sent as signed redirects so that a click is counted.
enum MessageLinks {
    /// Most links one message tracks; further links are sent as written.
    static let maximum = 50

    private static let pattern = try! NSRegularExpression(pattern: #"https?://[^\s<>"'`{}|\\^\[\]]+"#)

    /// The distinct links of `text` in order of first appearance, without trailing punctuation.
    static func extract(_ text: String) -> [String] {
        var links: [String] = []
        for match in matches(in: text) where !links.contains(match.link) {
            guard links.count < maximum else { break }
            links.append(match.link)
        }
        return links
    }

    /// `text` with each of `links` replaced by `replacement(index)`; other text is kept.
    static func replacing(in text: String, links: [String], with replacement: (Int) -> String) -> String {
        var result = ""
        var position = text.startIndex
        for match in matches(in: text) {
            guard let index = links.firstIndex(of: match.link) else { continue }
            result += text[position..<match.range.lowerBound]
            result += replacement(index)
            position = match.range.upperBound
        }
        return result + text[position...]
    }

    private static func matches(in text: String) -> [(range: Range<String.Index>, link: String)] {
        pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap { match in
            guard var range = Range(match.range, in: text) else { return nil }
            // A sentence's full stop or a closing parenthesis after a link is not part of it.
            while range.lowerBound < range.upperBound, ".,;:!?)".contains(text[text.index(before: range.upperBound)]) {
                range = range.lowerBound..<text.index(before: range.upperBound)
            }
            let link = String(text[range])
            return link.count <= 2048 ? (range, link) : nil
        }
    }
}
