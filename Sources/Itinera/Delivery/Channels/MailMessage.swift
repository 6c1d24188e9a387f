import Foundation

/// One e-mail as it goes over SMTP (RFC 5322): UTF-8 text, base64 in lines of 76, headers with
/// non-ASCII words encoded (RFC 2047).
struct MailMessage: Sendable, Equatable {
    var to: String
    var subject: String
    var text: String
    /// Extra headers, such as `List-Unsubscribe`.
    var headers: [(String, String)] = []
    var messageID: String

    static func == (a: MailMessage, b: MailMessage) -> Bool {
        a.to == b.to && a.subject == b.subject && a.text == b.text && a.messageID == b.messageID
            && a.headers.map { "\($0.0):\($0.1)" } == b.headers.map { "\($0.0):\($0.1)" }
    }

    /// The message's bytes, lines ending CRLF.
    func rendered(fromAddress: String, fromName: String?, date: Date = Date()) -> String {
        var lines: [String] = []
        let from = fromName.map { "\(Self.encodedWord($0)) <\(fromAddress)>" } ?? fromAddress
        lines.append("From: \(from)")
        lines.append("To: \(to)")
        lines.append("Subject: \(Self.encodedWord(subject))")
        lines.append("Date: \(Self.date(date))")
        lines.append("Message-ID: <\(messageID)>")
        for (name, value) in headers where !Self.unsafe(name) && !Self.unsafe(value) {
            lines.append("\(name): \(value)")
        }
        lines.append("MIME-Version: 1.0")
        lines.append("Content-Type: text/plain; charset=utf-8")
        lines.append("Content-Transfer-Encoding: base64")
        lines.append("")
        let body = Data(
            text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: "\r\n").utf8
        )
        .base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
        lines.append(body)
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// A header value that could start another header.
    static func unsafe(_ text: String) -> Bool { text.contains("\r") || text.contains("\n") }

    /// `=?UTF-8?B?…?=` for text that is not plain printable ASCII.
    static func encodedWord(_ text: String) -> String {
        let clean = text.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
        if clean.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F }) { return clean }
        return "=?UTF-8?B?\(Data(clean.utf8).base64EncodedString())?="
    }

    static func date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        return formatter.string(from: date)
    }
}
