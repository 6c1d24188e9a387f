import Foundation

/// A win-back campaign: who it is for (lapsed customers, by spend, tier and RFM segment, always
/// with consent for its channel), what it offers, how it is sent, how many are held out, and how
/// long after the send an order counts as recovered.
struct Campaign: Sendable, Equatable {
    var id: Int64
    var name: String
    var state: String
    var lapsedDaysMin: Int
    var lapsedDaysMax: Int?
    var minLifetimeSpentMinor: Int64?
    var programID: Int64?
    var tiers: [String]?
    var rfmSegments: [String]?
    var offerID: Int64?
    var gift: String?
    var channel: String
    var template: String
    var holdoutPercent: Int
    var attributionDays: Int
    var cooldownDays: Int
    /// Only customers in this saved segment.
    var segmentID: Int64? = nil
    /// `once` or `recurring` (every `everyDays`), from `startAt` (or the launch).
    var schedule = "once"
    var startAt: Date? = nil
    var everyDays: Int? = nil
    /// When the campaign's scheduled first run, next rerun or completion is due.
    var nextRunAt: Date? = nil
    var launchedAt: Date?
    var createdAt: Date
    var updatedAt: Date

    static let states = ["draft", "scheduled", "running", "paused", "completed", "cancelled"]

    var auditJSON: Data? {
        try? JSONSerialization.data(
            withJSONObject: [
                "name": name, "state": state, "lapsed_days_min": lapsedDaysMin, "lapsed_days_max": lapsedDaysMax as Any,
                "min_lifetime_spent_minor": minLifetimeSpentMinor as Any,
                "program_id": programID.map(String.init) as Any, "tiers": tiers as Any,
                "rfm_segments": rfmSegments as Any, "offer_id": offerID.map(String.init) as Any, "gift": gift as Any,
                "channel": channel, "template": template, "holdout_percent": holdoutPercent,
                "attribution_days": attributionDays, "cooldown_days": cooldownDays,
                "segment_id": segmentID.map(String.init) as Any, "schedule": schedule,
                "start_at": startAt.map { $0.formatted(.iso8601) } as Any, "every_days": everyDays as Any,
            ], options: [.sortedKeys])
    }
}

/// What a preview found: who would receive the campaign, and who is left out and why.
struct CampaignPreview: Sendable, Equatable {
    var audience: Int
    var sample: [Int64]
    var noConsent: Int
    var coolDown: Int
    var holdoutHistory: Int
}

/// One group's outcome.
struct CampaignGroupResult: Sendable, Equatable {
    var group: String
    var recipients: Int
    var sent: Int
    var delivered: Int
    var clicked: Int
    var redeemed: Int
    var recovered: Int
    var revenueMinor: Int64
    /// The recovered orders' average, and the same customers' average order before.
    var recoveredAverageMinor: Int64?
    var priorAverageMinor: Int64?

    var rate: Double { recipients > 0 ? Double(recovered) / Double(recipients) : 0 }
}

/// The uplift of the treated over the hold-out, with its 95% interval (normal approximation for a
/// difference of two proportions, unpooled) and what it means in words.
struct Uplift: Sendable, Equatable {
    var value: Double
    var lower: Double
    var upper: Double
    var verdict: String

    init?(treated: CampaignGroupResult, holdout: CampaignGroupResult) {
        guard treated.recipients > 0, holdout.recipients > 0 else { return nil }
        let (p1, n1) = (treated.rate, Double(treated.recipients))
        let (p2, n2) = (holdout.rate, Double(holdout.recipients))
        let standardError = (p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2).squareRoot()
        value = p1 - p2
        lower = value - 1.959963984540054 * standardError
        upper = value + 1.959963984540054 * standardError
        verdict =
            lower > 0
            ? "The campaign recovers more customers than holding them out (significant at 95%)."
            : upper < 0
                ? "The campaign recovers fewer customers than holding them out (significant at 95%)."
                : "Not yet significant: the interval still includes no difference."
    }
}
