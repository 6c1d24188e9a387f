import Foundation
import Itinera

/// What tests of messages share: a server that sends e-mail to a test SMTP server and signs its
/// links under a fixed public address, and the signed paths found in a message's text.
public enum MessageTesting {
    /// The public address the test servers sign links under.
    public static let publicURL = "https://crm.itinera.test"

    /// Sends e-mail to the SMTP server on `port`, retries quickly, and runs no job worker of its
    /// own (the test drains the queue when it wants).
    public static func configure(smtp port: Int) -> (inout ServerConfiguration) -> Void {
        { configuration in
            configuration.mail = try? MailSettings(url: "smtp://127.0.0.1:\(port)", from: "Trips <trips@itinera.test>")
            configuration.messages.publicURL = publicURL
            configuration.webhooks.retrySchedule = [.milliseconds(50)]
            configuration.jobWorkers = 0
        }
    }

    /// The paths under `prefix` (`/r/`, `/u/`) of the signed links in `text`.
    public static func paths(in text: String, prefix: String) -> [String] {
        text.components(separatedBy: CharacterSet.whitespacesAndNewlines).compactMap { word in
            guard let range = word.range(of: publicURL + prefix) else { return nil }
            let link = word[range.lowerBound...].trimmingCharacters(in: CharacterSet(charactersIn: ".,)"))
            return String(link.dropFirst(publicURL.count))
        }
    }
}
