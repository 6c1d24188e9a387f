import Foundation

/// The figures the documents promise, for one tenant, as of one refresh: customers and repurchase,
/// retention by first-order month, the tier distribution and who moved between tiers, revenue by
/// tier, RFM segments and their drift, the NPS trend, campaign recovery and community attendance.
/// Windows end at `asOf`; `since` is the start of the 90-day window.
struct InsightOverview: Sendable, Codable, Equatable {
    struct Customers: Sendable, Codable, Equatable {
        var total = 0
        var buyers = 0
        var repeatBuyers = 0
    }

    /// Customers whose first order fell in `month` (the tenant's calendar), how many ordered again
    /// at all, and how many ordered in each of the six months after (`returned[0]`: the next month).
    struct Cohort: Sendable, Codable, Equatable {
        var month: String
        var size: Int
        var repurchased: Int
        var returned: [Int]
    }

    struct TierCount: Sendable, Codable, Equatable {
        var programID: Int64
        var program: String
        var tier: String?
        var name: String?
        var rank: Int?
        var members: Int
    }

    /// Members of a programme whose tier was `from` when the window began (nil: not yet a member)
    /// and is `to` now.
    struct TierMove: Sendable, Codable, Equatable {
        var programID: Int64
        var from: String?
        var to: String?
        var members: Int
    }

    /// Orders in the window in the tenant's currency by the customer's tier in a programme (nil:
    /// not a member of it).
    struct TierRevenue: Sendable, Codable, Equatable {
        var programID: Int64
        var tier: String?
        var orders: Int
        var revenueMinor: Int64
    }

    struct Segment: Sendable, Codable, Equatable {
        var segment: String
        var customers: Int
        /// The size at the refresh before, when there was one.
        var previous: Int?
    }

    struct NPSMonth: Sendable, Codable, Equatable {
        var month: String
        var responses: Int
        var promoters: Int
        var detractors: Int
    }

    struct Campaigns: Sendable, Codable, Equatable {
        var campaigns = 0
        var treated = 0
        var treatedRecovered = 0
        var holdout = 0
        var holdoutRecovered = 0
        var recoveredRevenueMinor: Int64 = 0
    }

    /// Events that started in the window, their registrations and check-ins; members of any
    /// community against the other buyers, by average spend.
    struct Community: Sendable, Codable, Equatable {
        var events = 0
        var registered = 0
        var checkedIn = 0
        var members = 0
        var membersAverageSpentMinor: Int64?
        var othersAverageSpentMinor: Int64?
    }

    var asOf: Date
    var since: Date
    var currency: String
    var customers = Customers()
    var cohorts: [Cohort] = []
    var tiers: [TierCount] = []
    var tierMoves: [TierMove] = []
    var revenueByTier: [TierRevenue] = []
    var rfm: [Segment] = []
    var nps: [NPSMonth] = []
    var campaigns = Campaigns()
    var community = Community()
}

/// An overview as stored: when it was computed and how long that took.
struct InsightSnapshot: Sendable, Equatable {
    var overview: InsightOverview
    var computedAt: Date
    var tookMilliseconds: Int
}
