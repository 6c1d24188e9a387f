public import Foundation

/// A member programme: how points are earned and expire, the window tiers are judged over, when a
/// demotion takes effect, and how customers join.
public struct Program: Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var currency: String
    public var earning: EarningRule
    public var expiry: PointsExpiry
    public var window: TierWindow
    public var downgrade: DowngradePolicy
    public var enrolment: Enrolment
    public var cardPrefix: String
    public var createdAt: Date
    public var updatedAt: Date
    /// Counts replacements of the tiers (see `ProgramStore.saveTiers`).
    public var tiersRevision: Int64 = 1
}

/// Points per whole currency unit, rounded one way, times the member's tier multiplier.
public struct EarningRule: Sendable, Equatable {
    public enum Rounding: String, Sendable, CaseIterable { case down, nearest, up }

    /// Points per whole unit of the currency (per 1 CNY, not per fen), up to four decimals.
    public var pointsPerUnit: Decimal
    public var rounding: Rounding

    /// The points an order of `amountMinor` earns at `multiplier` (the tier's).
    public func points(amountMinor: Int64, multiplier: Decimal) -> Int64 {
        var exact = Decimal(amountMinor) * pointsPerUnit * multiplier / 100
        var rounded = Decimal()
        let mode: NSDecimalNumber.RoundingMode =
            switch rounding {
            case .down: .down
            case .nearest: .plain
            case .up: .up
            }
        NSDecimalRound(&rounded, &exact, 0, mode)
        return NSDecimalNumber(decimal: rounded).int64Value
    }
}

/// When earned points lapse.
public enum PointsExpiry: Sendable, Equatable {
    case never
    /// `days` after they were earned.
    case afterDays(Int)
    /// At the end of the calendar year they were earned in, in the tenant's time zone.
    case endOfYear

    public func expiresAt(earnedAt: Date, timeZone: TimeZone) -> Date? {
        switch self {
        case .never: nil
        case .afterDays(let days): earnedAt.addingTimeInterval(Double(days) * 86_400)
        case .endOfYear: TierWindow.startOfNextYear(after: earnedAt, timeZone: timeZone)
        }
    }
}

/// The stretch of time whose orders decide a tier.
public enum TierWindow: Sendable, Equatable {
    /// The last `days` days up to the moment of evaluation.
    case rollingDays(Int)
    /// The calendar year of the moment of evaluation, in the tenant's time zone.
    case calendarYear

    /// Where the window that ends at `asOf` starts.
    public func start(asOf: Date, timeZone: TimeZone) -> Date {
        switch self {
        case .rollingDays(let days): asOf.addingTimeInterval(-Double(days) * 86_400)
        case .calendarYear: Self.startOfYear(containing: asOf, timeZone: timeZone)
        }
    }

    static func calendar(_ timeZone: TimeZone) -> Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return calendar
    }

    static func startOfYear(containing date: Date, timeZone: TimeZone) -> Date {
        let calendar = calendar(timeZone)
        let year = calendar.component(.year, from: date)
        return calendar.date(from: DateComponents(year: year, month: 1, day: 1))!
    }

    static func startOfNextYear(after date: Date, timeZone: TimeZone) -> Date {
        let calendar = calendar(timeZone)
        let year = calendar.component(.year, from: date)
        return calendar.date(from: DateComponents(year: year + 1, month: 1, day: 1))!
    }
}

/// When a member whose figures fall below their tier moves down.
public enum DowngradePolicy: Sendable, Equatable {
    /// At the evaluation that finds it.
    case immediate
    /// At the end of the period the member fell below in: the calendar year for a calendar-year
    /// window; for a rolling window, one window's length after the tier was reached.
    case endOfPeriod
    /// `days` after the evaluation that first finds it, unless the member qualifies again first.
    case graceDays(Int)
}

/// How customers become members.
public enum Enrolment: String, Sendable, CaseIterable {
    /// Their first counted order enrols them.
    case firstOrder = "first_order"
    /// Only `POST /v1/programs/{id}/members` does.
    case explicit
}
