import Foundation
import Testing

@testable import Itinera

/// An order as the window sees it.
struct WindowOrder: Sendable {
    var amountMinor: Int64
    var orderedAt: Date
    var counts = true
}

extension WindowFigures {
    /// The figures of `orders` in `window` at `asOf`, worked out here rather than by the server.
    static func of(
        _ orders: [WindowOrder], points: Int64 = 0, window: TierWindow, asOf: Date, timeZone: TimeZone
    ) -> WindowFigures {
        let start = window.start(asOf: asOf, timeZone: timeZone)
        let inside = orders.filter { $0.counts && $0.orderedAt >= start && $0.orderedAt <= asOf }
        return WindowFigures(
            orders: inside.count, totalSpentMinor: inside.reduce(0) { $0 + $1.amountMinor },
            lastOrderAt: inside.map(\.orderedAt).max(), points: points)
    }
}

func time(_ text: String) -> Date {
    try! RFC3339DateTranscoder().decode(text)
}

let shanghai = TimeZone(identifier: "Asia/Shanghai")!

@Suite struct TierEvaluatorTests {
    let yearly = TierEvaluator(
        tiers: Tier.template, window: .calendarYear, downgrade: .immediate, timeZone: shanghai)

    func tier(_ amounts: [Int64], asOf: Date = time("2026-06-30T12:00:00+08:00")) -> String? {
        let orders = amounts.enumerated().map {
            WindowOrder(amountMinor: $1, orderedAt: time("2026-03-0\($0 + 1)T10:00:00+08:00"))
        }
        let figures = WindowFigures.of(orders, window: .calendarYear, asOf: asOf, timeZone: shanghai)
        return yearly.qualifyingTier(figures, asOf: asOf)?.code
    }

    @Test func test_threeOrdersAveragingExactly5000_isDiamond_and4999_99IsNot() {
        #expect(tier([500_000, 500_000, 500_000]) == "diamond")
        #expect(tier([400_000, 500_000, 600_000]) == "diamond")
        // 14,999.97 over three orders: an average of 4,999.99.
        #expect(tier([499_999, 499_999, 499_999]) == "gold")
        // One fen short of 15,000 in total: the average rounds to 5,000.00 but is below it.
        #expect(tier([500_000, 500_000, 499_999]) == "gold")
        #expect(tier([500_000, 500_000]) == "gold")
    }

    @Test func test_theTemplatesBands() {
        #expect(tier([]) == nil)
        #expect(tier([300_000]) == "potential")
        #expect(tier([300_001]) == nil)
        #expect(tier([100_000, 200_000]) == "potential")
        #expect(tier([300_000, 300_000]) == "gold")
        #expect(tier([299_999, 300_000]) == "potential")
        #expect(tier([100_000, 100_000, 100_000]) == "potential")
    }

    @Test func test_anOrderAt23_30On31DecemberInShanghai_countsInThatYear() {
        let order = WindowOrder(amountMinor: 500_000, orderedAt: time("2025-12-31T23:30:00+08:00"))
        // 15:30 UTC: still 2025 in Shanghai.
        #expect(order.orderedAt == time("2025-12-31T15:30:00Z"))
        let lastMinute = time("2025-12-31T23:59:59+08:00")
        let inYear = WindowFigures.of([order], window: .calendarYear, asOf: lastMinute, timeZone: shanghai)
        #expect(inYear.orders == 1)
        #expect(
            TierWindow.calendarYear.start(asOf: lastMinute, timeZone: shanghai) == time("2025-01-01T00:00:00+08:00"))
        let newYear = time("2026-01-01T00:00:00+08:00")
        let nextYear = WindowFigures.of([order], window: .calendarYear, asOf: newYear, timeZone: shanghai)
        #expect(nextYear.orders == 0)
        // Read in UTC, the same order would have fallen in 2025 too, but an order at 08:30 on
        // 1 January in Shanghai is 2026 there and 2025 in UTC.
        let early = WindowOrder(amountMinor: 500_000, orderedAt: time("2026-01-01T08:30:00+08:00"))
        #expect(
            WindowFigures.of([early], window: .calendarYear, asOf: lastMinute, timeZone: shanghai).orders == 0)
        #expect(
            WindowFigures.of(
                [early], window: .calendarYear, asOf: time("2026-01-02T00:00:00+08:00"), timeZone: shanghai
            )
            .orders == 1)
    }

    @Test func test_aCancellationDemotes() {
        let orders = [600_000, 300_000, 600_000].enumerated().map {
            WindowOrder(amountMinor: Int64($1), orderedAt: time("2026-0\($0 + 1)-10T10:00:00+08:00"))
        }
        let asOf = time("2026-05-01T00:00:00+08:00")
        let before = yearly.decide(
            .init(), figures: .of(orders, window: .calendarYear, asOf: asOf, timeZone: shanghai), asOf: asOf)
        #expect(before == .init(tier: "diamond", since: asOf))
        // The third order is cancelled: two orders averaging 4,500.
        var cancelled = orders
        cancelled[2].counts = false
        let later = asOf.addingTimeInterval(3_600)
        let after = yearly.decide(
            before, figures: .of(cancelled, window: .calendarYear, asOf: later, timeZone: shanghai), asOf: later)
        #expect(after == .init(tier: "gold", since: later))
    }

    @Test func test_eachDowngradePolicy() {
        let diamond = TierEvaluator.Standing(tier: "diamond", since: time("2026-02-01T00:00:00+08:00"))
        let goldFigures = WindowFigures(
            orders: 2, totalSpentMinor: 800_000, lastOrderAt: time("2026-02-01T00:00:00+08:00"), points: 0)
        let found = time("2026-07-01T00:00:00+08:00")
        func evaluator(_ policy: DowngradePolicy, _ window: TierWindow = .calendarYear) -> TierEvaluator {
            TierEvaluator(tiers: Tier.template, window: window, downgrade: policy, timeZone: shanghai)
        }

        // Immediate: down at once.
        #expect(
            evaluator(.immediate).decide(diamond, figures: goldFigures, asOf: found)
                == .init(tier: "gold", since: found))

        // Grace days: waits 30 days, then moves; qualifying again in between cancels it.
        let grace = evaluator(.graceDays(30))
        let waiting = grace.decide(diamond, figures: goldFigures, asOf: found)
        let due = found.addingTimeInterval(30 * 86_400)
        #expect(waiting == .init(tier: "diamond", since: diamond.since, demotionTo: "gold", demotionDueAt: due))
        let stillWaiting = grace.decide(waiting, figures: goldFigures, asOf: due.addingTimeInterval(-1))
        #expect(stillWaiting == waiting)
        #expect(grace.decide(waiting, figures: goldFigures, asOf: due) == .init(tier: "gold", since: due))
        let diamondFigures = WindowFigures(
            orders: 3, totalSpentMinor: 1_500_000, lastOrderAt: found, points: 0)
        #expect(grace.decide(waiting, figures: diamondFigures, asOf: found.addingTimeInterval(86_400)) == diamond)

        // End of period, calendar year: kept until the next 1 January in the tenant's time zone.
        let yearEnd = evaluator(.endOfPeriod)
        let kept = yearEnd.decide(diamond, figures: goldFigures, asOf: found)
        let newYear = time("2027-01-01T00:00:00+08:00")
        #expect(kept == .init(tier: "diamond", since: diamond.since, demotionTo: "gold", demotionDueAt: newYear))
        #expect(yearEnd.decide(kept, figures: goldFigures, asOf: newYear.addingTimeInterval(-1)).tier == "diamond")
        // In the new year the window is empty: the member falls to no tier, not to the gold of old.
        #expect(
            yearEnd.decide(
                kept, figures: WindowFigures(orders: 0, totalSpentMinor: 0, lastOrderAt: nil, points: 0), asOf: newYear)
                == .init())

        // End of period, rolling window: one window's length after the tier was reached.
        let rolling = evaluator(.endOfPeriod, .rollingDays(365))
        let heldUntil = diamond.since!.addingTimeInterval(365 * 86_400)
        #expect(
            rolling.decide(diamond, figures: goldFigures, asOf: found)
                == .init(tier: "diamond", since: diamond.since, demotionTo: "gold", demotionDueAt: heldUntil))
        // Held longer than a window already: due at once.
        let old = TierEvaluator.Standing(tier: "diamond", since: time("2024-01-01T00:00:00+08:00"))
        #expect(rolling.decide(old, figures: goldFigures, asOf: found) == .init(tier: "gold", since: found))
    }

    @Test func test_anyCombinesThresholds_andEmptyThresholdsAdmitEveryone() {
        let tiers = [
            Tier(
                code: "vip", name: "VIP", rank: 2, combine: .any,
                thresholds: TierThresholds(minTotalSpentMinor: 1_000_000, minPoints: 5_000)),
            Tier(code: "member", name: "Member", rank: 1, thresholds: TierThresholds()),
        ]
        let evaluator = TierEvaluator(
            tiers: tiers, window: .rollingDays(365), downgrade: .immediate, timeZone: shanghai)
        let asOf = time("2026-06-01T00:00:00Z")
        func code(total: Int64, points: Int64) -> String? {
            evaluator.qualifyingTier(
                WindowFigures(orders: 1, totalSpentMinor: total, lastOrderAt: asOf, points: points), asOf: asOf)?.code
        }
        #expect(code(total: 1_000_000, points: 0) == "vip")
        #expect(code(total: 0, points: 5_000) == "vip")
        #expect(code(total: 999_999, points: 4_999) == "member")
    }

    @Test func test_daysSinceTheLastOrder_countWholeDays() {
        let tiers = [
            Tier(code: "active", name: "Active", rank: 1, thresholds: TierThresholds(maxDaysSinceLastOrder: 30))
        ]
        let evaluator = TierEvaluator(
            tiers: tiers, window: .rollingDays(365), downgrade: .immediate, timeZone: shanghai)
        let last = time("2026-01-01T12:00:00Z")
        func code(_ asOf: Date) -> String? {
            evaluator.qualifyingTier(
                WindowFigures(orders: 1, totalSpentMinor: 100, lastOrderAt: last, points: 0), asOf: asOf)?.code
        }
        #expect(code(last.addingTimeInterval(31 * 86_400 - 1)) == "active")
        #expect(code(last.addingTimeInterval(31 * 86_400)) == nil)
        #expect(
            evaluator.qualifyingTier(
                WindowFigures(orders: 0, totalSpentMinor: 0, lastOrderAt: nil, points: 0), asOf: last)
                == nil)
    }

    @Test func test_pointsRounding_andTierMultiplier() {
        let down = EarningRule(pointsPerUnit: 1, rounding: .down)
        #expect(down.points(amountMinor: 128_899, multiplier: 1) == 1_288)
        #expect(EarningRule(pointsPerUnit: 1, rounding: .nearest).points(amountMinor: 128_850, multiplier: 1) == 1_289)
        #expect(EarningRule(pointsPerUnit: 1, rounding: .up).points(amountMinor: 128_801, multiplier: 1) == 1_289)
        #expect(down.points(amountMinor: 100_000, multiplier: Decimal(string: "1.5")!) == 1_500)
        #expect(
            EarningRule(pointsPerUnit: Decimal(string: "0.1")!, rounding: .down).points(amountMinor: 99, multiplier: 2)
                == 0)
    }
}
