public import Foundation

/// How the server sends webhooks: whether private addresses may receive them, the retry schedule and
/// the request timeout.
public struct WebhookSettings: Sendable {
    /// Admits loopback and private addresses (and plain `http://` to them), for tests and receivers
    /// inside the operator's own network; link-local and cloud-metadata addresses stay refused.
    /// `ITINERA_WEBHOOK_ALLOW_PRIVATE=1`, config key `webhook_allow_private`.
    public var allowPrivate = false
    /// The waits before the second, third, … attempt; a delivery gets one attempt more than this
    /// has entries. Each wait is varied by up to a fifth either way (jitter).
    public var retrySchedule: [Duration] = [
        .seconds(5), .seconds(5 * 60), .seconds(30 * 60), .seconds(2 * 3600), .seconds(5 * 3600),
        .seconds(10 * 3600), .seconds(10 * 3600),
    ]
    /// How long one attempt may take, from connecting to the end of the answer.
    public var timeout: Duration = .seconds(15)
    /// How long an endpoint may fail every delivery before it is disabled.
    public var disableAfter: Duration = .seconds(5 * 24 * 3600)
    /// A PEM file of certificate authorities trusted beside the system's, for receivers with a
    /// private CA (`ITINERA_WEBHOOK_CA_FILE`).
    public var extraTrustRoots: String?

    public init() {}

    /// Attempts a delivery gets in all.
    public var maxAttempts: Int { retrySchedule.count + 1 }

    /// The wait after failed attempt `attempt` (1-based), with jitter; nil after the last.
    public func delay(after attempt: Int) -> Duration? {
        guard attempt >= 1, attempt <= retrySchedule.count else { return nil }
        let base = retrySchedule[attempt - 1]
        return base * Double.random(in: 0.8...1.2)
    }

    /// Reads the schedule from seconds separated by commas (`5,300,1800`).
    static func schedule(_ text: String) throws -> [Duration] {
        let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let seconds = parts.compactMap(Double.init)
        guard !parts.isEmpty, parts.count <= 19, seconds.count == parts.count,
            seconds.allSatisfy({ $0 > 0 && $0 <= 7 * 24 * 3600 })
        else {
            throw ConfigurationError(
                "webhook-retry-seconds must be 1 to 19 waits in seconds, each above 0 and at most a week, separated by commas"
            )
        }
        return seconds.map { Duration.milliseconds(Int64(($0 * 1000).rounded())) }
    }
}
