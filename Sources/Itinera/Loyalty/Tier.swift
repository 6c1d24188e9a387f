public import Foundation

/// A tier of a programme. Ranks order the tiers, the highest best; a member holds the best tier whose
/// thresholds their window's figures meet.
public struct Tier: Sendable, Equatable {
    public enum Combine: String, Sendable, CaseIterable {
        /// Every threshold set must hold.
        case all
        /// One threshold set is enough.
        case any
    }

    public var code: String
    public var name: String
    public var rank: Int
    public var combine: Combine
    public var thresholds: TierThresholds
    public var pointsMultiplier: Decimal
    public var benefits: [String]

    public init(
        code: String, name: String, rank: Int, combine: Combine = .all, thresholds: TierThresholds,
        pointsMultiplier: Decimal = 1, benefits: [String] = []
    ) {
        self.code = code
        self.name = name
        self.rank = rank
        self.combine = combine
        self.thresholds = thresholds
        self.pointsMultiplier = pointsMultiplier
        self.benefits = benefits
    }

    /// The documents' template, which a new programme starts with. Amounts are in minor units of the
    /// programme's currency. The documents give Gold's average only as "mid-range": Gold here is the
    /// band between Potential's ceiling and Diamond's floor, 3,000 to 5,000 inclusive.
    public static let template: [Tier] = [
        Tier(
            code: "diamond", name: "Diamond", rank: 3,
            thresholds: TierThresholds(minOrders: 3, minAverageOrderMinor: 500_000), pointsMultiplier: 2,
            benefits: ["Private travel butler", "Free upgrade"]),
        Tier(
            code: "gold", name: "Gold", rank: 2,
            thresholds: TierThresholds(
                minOrders: 2, minAverageOrderMinor: 300_000, maxAverageOrderMinor: 500_000),
            pointsMultiplier: Decimal(string: "1.5")!, benefits: ["In-depth destination invitations"]),
        Tier(
            code: "potential", name: "Potential", rank: 1,
            thresholds: TierThresholds(minOrders: 1, maxAverageOrderMinor: 300_000),
            benefits: ["Friend group-buy coupon"]),
    ]
}

/// The thresholds a tier sets over its window; unset ones are not checked.
public struct TierThresholds: Sendable, Equatable {
    public var minOrders: Int?
    public var minTotalSpentMinor: Int64?
    public var minAverageOrderMinor: Int64?
    public var maxAverageOrderMinor: Int64?
    public var maxDaysSinceLastOrder: Int?
    /// A minimum points balance.
    public var minPoints: Int64?

    public init(
        minOrders: Int? = nil, minTotalSpentMinor: Int64? = nil, minAverageOrderMinor: Int64? = nil,
        maxAverageOrderMinor: Int64? = nil, maxDaysSinceLastOrder: Int? = nil, minPoints: Int64? = nil
    ) {
        self.minOrders = minOrders
        self.minTotalSpentMinor = minTotalSpentMinor
        self.minAverageOrderMinor = minAverageOrderMinor
        self.maxAverageOrderMinor = maxAverageOrderMinor
        self.maxDaysSinceLastOrder = maxDaysSinceLastOrder
        self.minPoints = minPoints
    }

    public var isEmpty: Bool { self == TierThresholds() }
}

/// What a member's window holds: counted orders (confirmed or completed) from the window's start up
/// to the moment of evaluation, and the member's points balance.
public struct WindowFigures: Sendable, Equatable, Codable {
    public var orders: Int
    public var totalSpentMinor: Int64
    public var lastOrderAt: Date?
    public var points: Int64

    public init(orders: Int, totalSpentMinor: Int64, lastOrderAt: Date?, points: Int64) {
        self.orders = orders
        self.totalSpentMinor = totalSpentMinor
        self.lastOrderAt = lastOrderAt
        self.points = points
    }

    /// The average order in minor units, rounded half up; nil without orders. Thresholds on the
    /// average compare exactly (total against threshold × orders), not against this rounding.
    public var averageOrderMinor: Int64? {
        orders == 0 ? nil : (totalSpentMinor * 2 + Int64(orders)) / (2 * Int64(orders))
    }

    /// Whole days from the last order to `asOf`; nil without orders.
    public func daysSinceLastOrder(asOf: Date) -> Int? {
        lastOrderAt.map { Int((asOf.timeIntervalSince($0) / 86_400).rounded(.down)) }
    }
}
