public import Foundation

/// Decides one member's tier from their window's figures, the programme's tiers and its downgrade
/// policy. `TierStore.reevaluateAll` is the same decision for every member in one SQL statement; a
/// randomised test holds the two to the same answers.
public struct TierEvaluator: Sendable {
    public var tiers: [Tier]
    public var window: TierWindow
    public var downgrade: DowngradePolicy
    public var timeZone: TimeZone

    public init(tiers: [Tier], window: TierWindow, downgrade: DowngradePolicy, timeZone: TimeZone) {
        self.tiers = tiers.sorted { $0.rank > $1.rank }
        self.window = window
        self.downgrade = downgrade
        self.timeZone = timeZone
    }

    /// Where a member stands: their tier, since when, and a demotion waiting to take effect.
    public struct Standing: Sendable, Equatable {
        public var tier: String?
        public var since: Date?
        public var demotionTo: String?
        public var demotionDueAt: Date?

        public init(tier: String? = nil, since: Date? = nil, demotionTo: String? = nil, demotionDueAt: Date? = nil) {
            self.tier = tier
            self.since = since
            self.demotionTo = demotionTo
            self.demotionDueAt = demotionDueAt
        }
    }

    /// Whether `figures` meet `tier`'s thresholds at `asOf`. A tier without thresholds admits
    /// everyone; thresholds on the average or the last order are unmet without orders.
    public static func qualifies(_ figures: WindowFigures, for tier: Tier, asOf: Date) -> Bool {
        let t = tier.thresholds
        var checks: [Bool] = []
        if let min = t.minOrders { checks.append(figures.orders >= min) }
        if let min = t.minTotalSpentMinor { checks.append(figures.totalSpentMinor >= min) }
        if let min = t.minAverageOrderMinor {
            checks.append(figures.orders > 0 && figures.totalSpentMinor >= min * Int64(figures.orders))
        }
        if let max = t.maxAverageOrderMinor {
            checks.append(figures.orders > 0 && figures.totalSpentMinor <= max * Int64(figures.orders))
        }
        if let max = t.maxDaysSinceLastOrder {
            checks.append(figures.daysSinceLastOrder(asOf: asOf).map { $0 <= max } ?? false)
        }
        if let min = t.minPoints { checks.append(figures.points >= min) }
        guard !checks.isEmpty else { return true }
        return tier.combine == .all ? !checks.contains(false) : checks.contains(true)
    }

    /// The best tier `figures` qualify for, or nil.
    public func qualifyingTier(_ figures: WindowFigures, asOf: Date) -> Tier? {
        tiers.first { Self.qualifies(figures, for: $0, asOf: asOf) }
    }

    /// The member's standing after an evaluation at `asOf`.
    public func decide(_ current: Standing, figures: WindowFigures, asOf: Date) -> Standing {
        let earned = qualifyingTier(figures, asOf: asOf)
        let currentRank = current.tier.flatMap { code in tiers.first { $0.code == code }?.rank } ?? 0
        let earnedRank = earned?.rank ?? 0
        if earnedRank >= currentRank {
            // Up, level, or out of a tier the programme no longer has: at once.
            let changed = earned?.code != current.tier
            return Standing(tier: earned?.code, since: changed ? (earned == nil ? nil : asOf) : current.since)
        }
        let due: Date =
            current.demotionDueAt
            ?? {
                switch downgrade {
                case .immediate: return asOf
                case .graceDays(let days): return asOf.addingTimeInterval(Double(days) * 86_400)
                case .endOfPeriod:
                    switch window {
                    case .calendarYear: return TierWindow.startOfNextYear(after: asOf, timeZone: timeZone)
                    case .rollingDays(let days):
                        return max(asOf, (current.since ?? asOf).addingTimeInterval(Double(days) * 86_400))
                    }
                }
            }()
        if asOf >= due {
            return Standing(tier: earned?.code, since: earned == nil ? nil : asOf)
        }
        return Standing(tier: current.tier, since: current.since, demotionTo: earned?.code, demotionDueAt: due)
    }
}

extension TierEvaluator {
    /// The evaluator of `program` with its `tiers`, in the tenant's time zone.
    init(_ program: Program, tiers: [Tier], tenant: Tenant) {
        self.init(tiers: tiers, window: program.window, downgrade: program.downgrade, timeZone: tenant.timeZone)
    }
}
