import Foundation
import ItineraAPI

/// Reads programme and tier requests; every refusal is a 422 naming the field.
enum ProgramInput {
    static let maxTiers = 20

    static func program(_ body: Components.Schemas.ProgramRequest, tenantCurrency: String) throws(Problem) -> Program {
        let name = try SignUpValidation.displayName(body.name, field: "name")
        let currency = body.currency ?? tenantCurrency
        guard currency == tenantCurrency else {
            throw .invalidField(
                "currency",
                "Orders are recorded in the tenant's currency, \(tenantCurrency); a programme in \(currency) would earn nothing."
            )
        }
        let rate = try decimal(
            body.pointsPerCurrencyUnit, field: "points_per_currency_unit", range: 0...10_000, places: 4)
        guard let rounding = EarningRule.Rounding(rawValue: body.pointsRounding?.rawValue ?? "down") else {
            throw .invalidField("points_rounding", "points_rounding must be down, nearest or up.")
        }
        let expiry: PointsExpiry
        switch (
            body.pointsExpiry?.rawValue ?? (body.pointsExpiryDays == nil ? "never" : "after_days"),
            body.pointsExpiryDays
        ) {
        case ("never", nil): expiry = .never
        case ("end_of_year", nil): expiry = .endOfYear
        case ("after_days", let n?):
            expiry = .afterDays(try days(n, field: "points_expiry_days"))
        case ("after_days", nil):
            throw .invalidField("points_expiry_days", "points_expiry after_days needs points_expiry_days.")
        case ("never", _?), ("end_of_year", _?):
            throw .invalidField("points_expiry_days", "points_expiry_days goes only with points_expiry after_days.")
        default:
            throw .invalidField("points_expiry", "points_expiry must be never, after_days or end_of_year.")
        }
        let window: TierWindow
        switch (body.tierWindow.kind.rawValue, body.tierWindow.days) {
        case ("calendar_year", nil): window = .calendarYear
        case ("rolling_days", let n?): window = .rollingDays(try days(n, field: "tier_window.days"))
        case ("rolling_days", nil):
            throw .invalidField("tier_window.days", "A rolling_days window needs days.")
        case ("calendar_year", _?):
            throw .invalidField("tier_window.days", "A calendar_year window takes no days.")
        default:
            throw .invalidField("tier_window.kind", "tier_window.kind must be rolling_days or calendar_year.")
        }
        let downgrade: DowngradePolicy
        switch (body.downgrade?.policy.rawValue ?? "immediate", body.downgrade?.days) {
        case ("immediate", nil): downgrade = .immediate
        case ("end_of_period", nil): downgrade = .endOfPeriod
        case ("grace_days", let n?): downgrade = .graceDays(try days(n, field: "downgrade.days"))
        case ("grace_days", nil): throw .invalidField("downgrade.days", "A grace_days policy needs days.")
        case ("immediate", _?), ("end_of_period", _?):
            throw .invalidField("downgrade.days", "downgrade.days goes only with the grace_days policy.")
        default:
            throw .invalidField("downgrade.policy", "downgrade.policy must be immediate, end_of_period or grace_days.")
        }
        guard let enrolment = Enrolment(rawValue: body.enrolment?.rawValue ?? "first_order") else {
            throw .invalidField("enrolment", "enrolment must be first_order or explicit.")
        }
        // Empty: the store picks the first free two-digit prefix from 88 on.
        let prefix = body.cardPrefix ?? ""
        guard body.cardPrefix == nil || (2...6).contains(prefix.count), prefix.allSatisfy({ $0.isASCII && $0.isNumber })
        else {
            throw .invalidField("card_prefix", "card_prefix must be 2 to 6 digits.")
        }
        return Program(
            id: 0, name: name, currency: currency, earning: EarningRule(pointsPerUnit: rate, rounding: rounding),
            expiry: expiry, window: window, downgrade: downgrade, enrolment: enrolment, cardPrefix: prefix,
            createdAt: Date(), updatedAt: Date())
    }

    /// A tier list: at most `maxTiers`, unique codes and ranks, coherent thresholds; best first.
    static func tiers(_ inputs: [Components.Schemas.TierInput]) throws(Problem) -> [Tier] {
        guard !inputs.isEmpty else { throw .invalidField("tiers", "A programme needs at least one tier.") }
        guard inputs.count <= maxTiers else {
            throw .invalidField("tiers", "A programme has at most \(maxTiers) tiers.")
        }
        var tiers: [Tier] = []
        for (index, input) in inputs.enumerated() {
            let at = "tiers[\(index)]"
            let code = input.code
            guard code.range(of: "^[a-z][a-z0-9_]{0,39}$", options: .regularExpression) != nil else {
                throw .invalidField(
                    "\(at).code", "A tier code is a lower-case letter, then up to 39 letters, digits or _.")
            }
            guard !tiers.contains(where: { $0.code == code }) else {
                throw .invalidField("\(at).code", "Tier code '\(code)' appears twice.")
            }
            let name = try OrderInput.trimmed(input.name, field: "\(at).name", max: 100)
            guard (1...100).contains(input.rank) else {
                throw .invalidField("\(at).rank", "A rank is between 1 and 100.")
            }
            if let other = tiers.first(where: { $0.rank == input.rank }) {
                throw .invalidField(
                    "\(at).rank", "Rank \(input.rank) is taken by tier '\(other.code)'; ranks are unique.")
            }
            guard let combine = Tier.Combine(rawValue: input.combine?.rawValue ?? "all") else {
                throw .invalidField("\(at).combine", "combine must be all or any.")
            }
            let thresholds = TierThresholds(
                minOrders: try count(input.minOrders, field: "\(at).min_orders"),
                minTotalSpentMinor: try amount(input.minTotalSpentMinor, field: "\(at).min_total_spent_minor"),
                minAverageOrderMinor: try amount(input.minAverageOrderMinor, field: "\(at).min_average_order_minor"),
                maxAverageOrderMinor: try amount(input.maxAverageOrderMinor, field: "\(at).max_average_order_minor"),
                maxDaysSinceLastOrder: try count(input.maxDaysSinceLastOrder, field: "\(at).max_days_since_last_order"),
                minPoints: try amount(input.minPoints, field: "\(at).min_points"))
            if let min = thresholds.minAverageOrderMinor, let max = thresholds.maxAverageOrderMinor, min > max {
                throw .invalidField(
                    "\(at).max_average_order_minor",
                    "max_average_order_minor (\(max)) is below min_average_order_minor (\(min)); no member could qualify."
                )
            }
            let multiplier = try decimal(
                input.pointsMultiplier ?? 1, field: "\(at).points_multiplier", range: 0...100, places: 3)
            let benefits = try (input.benefits ?? []).enumerated().map { (number, text) throws(Problem) in
                try OrderInput.trimmed(text, field: "\(at).benefits[\(number)]", max: 200)
            }
            guard benefits.count <= 20 else {
                throw .invalidField("\(at).benefits", "A tier lists at most 20 benefits.")
            }
            tiers.append(
                Tier(
                    code: code, name: name, rank: input.rank, combine: combine, thresholds: thresholds,
                    pointsMultiplier: multiplier, benefits: benefits))
        }
        tiers.sort { $0.rank > $1.rank }
        // Only the lowest tier may admit everyone: a higher one without thresholds would hold every
        // member and leave the tiers below it empty.
        if let open = tiers.dropLast().first(where: { $0.thresholds.isEmpty }),
            let index = inputs.firstIndex(where: { $0.code == open.code })
        {
            throw .invalidField(
                "tiers[\(index)]",
                "Tier '\(open.code)' sets no threshold, so every member would qualify for it; only the lowest-ranked tier may."
            )
        }
        return tiers
    }

    /// The audit record of a programme and its tiers.
    static func auditJSON(_ program: Program, tiers: [Tier]) -> Data {
        let document: [String: Any] = [
            "name": program.name,
            "tiers": tiers.map { tier -> [String: Any] in
                let t = tier.thresholds
                var row: [String: Any] = [
                    "code": tier.code, "name": tier.name, "rank": tier.rank, "combine": tier.combine.rawValue,
                    "points_multiplier": "\(tier.pointsMultiplier)", "benefits": tier.benefits,
                ]
                row["min_orders"] = t.minOrders
                row["min_total_spent_minor"] = t.minTotalSpentMinor
                row["min_average_order_minor"] = t.minAverageOrderMinor
                row["max_average_order_minor"] = t.maxAverageOrderMinor
                row["max_days_since_last_order"] = t.maxDaysSinceLastOrder
                row["min_points"] = t.minPoints
                return row
            },
        ]
        return (try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys])) ?? Data()
    }

    static func days(_ value: Int, field: String) throws(Problem) -> Int {
        guard (1...3660).contains(value) else { throw .invalidField(field, "\(field) must be between 1 and 3660.") }
        return value
    }

    static func count(_ value: Int?, field: String) throws(Problem) -> Int? {
        guard let value else { return nil }
        guard (0...1_000_000).contains(value) else {
            throw .invalidField(field, "\(field) must be between 0 and 1000000.")
        }
        return value
    }

    static func amount(_ value: Int64?, field: String) throws(Problem) -> Int64? {
        guard let value else { return nil }
        guard (0...1_000_000_000_000).contains(value) else {
            throw .invalidField(field, "\(field) must be between 0 and 1000000000000.")
        }
        return value
    }

    /// A JSON number as an exact decimal with at most `places` decimals.
    static func decimal(_ value: Double, field: String, range: ClosedRange<Decimal>, places: Int) throws(Problem)
        -> Decimal
    {
        guard value.isFinite, let decimal = Decimal(string: "\(value)"), range.contains(decimal) else {
            throw .invalidField(field, "\(field) must be between \(range.lowerBound) and \(range.upperBound).")
        }
        var rounded = Decimal()
        var exact = decimal
        NSDecimalRound(&rounded, &exact, places, .plain)
        guard rounded == decimal else {
            throw .invalidField(field, "\(field) has at most \(places) decimals.")
        }
        return decimal
    }
}

extension ProgramController {
    static func api(_ program: Program, members: Int) -> Components.Schemas.Program {
        let expiry: (String, Int?) =
            switch program.expiry {
            case .never: ("never", nil)
            case .afterDays(let days): ("after_days", days)
            case .endOfYear: ("end_of_year", nil)
            }
        let window: Components.Schemas.TierWindow =
            switch program.window {
            case .rollingDays(let days): .init(kind: .rollingDays, days: days)
            case .calendarYear: .init(kind: .calendarYear)
            }
        let downgrade: Components.Schemas.DowngradePolicy =
            switch program.downgrade {
            case .immediate: .init(policy: .immediate)
            case .endOfPeriod: .init(policy: .endOfPeriod)
            case .graceDays(let days): .init(policy: .graceDays, days: days)
            }
        return Components.Schemas.Program(
            id: String(program.id), name: program.name, currency: program.currency,
            pointsPerCurrencyUnit: NSDecimalNumber(decimal: program.earning.pointsPerUnit).doubleValue,
            pointsRounding: program.earning.rounding.rawValue, pointsExpiry: expiry.0, pointsExpiryDays: expiry.1,
            tierWindow: window, downgrade: downgrade, enrolment: program.enrolment.rawValue,
            cardPrefix: program.cardPrefix, members: members, createdAt: program.createdAt,
            updatedAt: program.updatedAt)
    }

    static func api(_ tier: Tier, members: Int) -> Components.Schemas.ProgramTier {
        let t = tier.thresholds
        return Components.Schemas.ProgramTier(
            code: tier.code, name: tier.name, rank: tier.rank, combine: tier.combine.rawValue,
            minOrders: t.minOrders, minTotalSpentMinor: t.minTotalSpentMinor,
            minAverageOrderMinor: t.minAverageOrderMinor, maxAverageOrderMinor: t.maxAverageOrderMinor,
            maxDaysSinceLastOrder: t.maxDaysSinceLastOrder, minPoints: t.minPoints,
            pointsMultiplier: NSDecimalNumber(decimal: tier.pointsMultiplier).doubleValue, benefits: tier.benefits,
            members: members)
    }

    static func api(_ move: TierReevaluation.Move) -> Components.Schemas.TierMove {
        .init(from: move.from, to: move.to, count: move.count)
    }
}
