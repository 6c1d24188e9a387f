import Foundation

/// Why a member's tier changed, in a sentence an admin can read: what caused the evaluation, the
/// member's figures that the deciding tier looks at, and what that tier needs ("Cancelled order 1:
/// 2 orders in the window; Diamond needs 3 orders"). The deciding tier is the one reached on a
/// promotion and the one lost on a demotion.
///
/// One member at a time the sentence is made here (`sentence`); a bulk re-evaluation makes the same
/// sentence in SQL (`sql`), from the same parts, and a test holds the two to agree.
enum TierReason {
    /// What caused an evaluation, by the history's `source` (and the order, when there is one).
    static func cause(source: String, order: Int64?) -> String {
        switch (source, order) {
        case ("order", let order?): "Order \(order)"
        case ("cancellation", let order?): "Cancelled order \(order)"
        case ("admin", _): "Points changed by hand"
        case ("enrolment", _): "Enrolment"
        case ("rule_change", _): "Tiers replaced"
        case ("bulk", _): "Periodic review"
        default: source.prefix(1).uppercased() + source.dropFirst()
        }
    }

    /// The sentence for a move from tier `from` to tier `to` (codes; nil is no tier) among `tiers`.
    static func sentence(
        cause: String, from: String?, to: String?, tiers: [Tier], figures: WindowFigures, currency: String,
        asOf: Date
    ) -> String {
        let rank = { (code: String?) in tiers.first { $0.code == code }?.rank ?? 0 }
        let deciding = rank(to) > rank(from) ? to : from
        guard let deciding, let tier = tiers.first(where: { $0.code == deciding }) else {
            return "\(cause): \(describe(figures, for: nil, currency: currency, asOf: asOf)); "
                + "\(deciding ?? "no tier") is no longer a tier"
        }
        return "\(cause): \(describe(figures, for: tier, currency: currency, asOf: asOf)); "
            + "\(tier.name) needs \(requirements(of: tier, currency: currency))"
    }

    /// The figures `tier` looks at (the order count when it looks at none, or there is no tier).
    static func describe(_ figures: WindowFigures, for tier: Tier?, currency: String, asOf: Date) -> String {
        var parts: [String] = []
        let t = tier?.thresholds ?? TierThresholds()
        if t.minOrders != nil || t.isEmpty { parts.append(orders(figures.orders)) }
        if t.minTotalSpentMinor != nil { parts.append("\(Loyalty.money(figures.totalSpentMinor, currency)) spent") }
        if t.minAverageOrderMinor != nil || t.maxAverageOrderMinor != nil {
            parts.append(
                figures.orders == 0
                    ? "no average"
                    : "an average of \(Loyalty.money(figures.totalSpentMinor / Int64(figures.orders), currency))")
        }
        if t.maxDaysSinceLastOrder != nil {
            parts.append(figures.daysSinceLastOrder(asOf: asOf).map { "the last order \($0) days ago" } ?? "no order")
        }
        if t.minPoints != nil { parts.append("\(figures.points) points") }
        return parts.joined(separator: ", ") + " in the window"
    }

    /// What `tier` needs, in words ("3 orders and an average order of at least 5,000.00 CNY").
    static func requirements(of tier: Tier, currency: String) -> String {
        let t = tier.thresholds
        var parts: [String] = []
        if let n = t.minOrders { parts.append(orders(n)) }
        if let v = t.minTotalSpentMinor { parts.append("\(Loyalty.money(v, currency)) spent") }
        if let v = t.minAverageOrderMinor { parts.append("an average order of at least \(Loyalty.money(v, currency))") }
        if let v = t.maxAverageOrderMinor { parts.append("an average order of at most \(Loyalty.money(v, currency))") }
        if let n = t.maxDaysSinceLastOrder { parts.append("an order within \(n) days") }
        if let n = t.minPoints { parts.append("\(n) points") }
        return parts.isEmpty ? "nothing" : parts.joined(separator: tier.combine == .all ? " and " : " or ")
    }

    static func orders(_ count: Int) -> String { "\(count) order\(count == 1 ? "" : "s")" }
}

extension TierReason {
    /// The sentence as SQL over a `decided` row `c` (`TierReevaluation`: `old_tier`, `new_tier`,
    /// `orders`, `total`, `last`, `points_balance`), with its texts bound through `q`: what
    /// `sentence` makes for the same row.
    static func sql(cause: String, tiers: [Tier], currency: String, asOf: String, builder q: inout QueryBuilder)
        -> String
    {
        let c = "c"
        var rank = "CASE %@"
        for tier in tiers { rank += " WHEN \(q.bind(tier.code)) THEN \(q.bind(tier.rank))::int" }
        rank += " ELSE 0 END"
        let deciding = """
            CASE WHEN \(rank.replacingOccurrences(of: "%@", with: "\(c).new_tier"))
                      > \(rank.replacingOccurrences(of: "%@", with: "\(c).old_tier"))
                 THEN \(c).new_tier ELSE \(c).old_tier END
            """
        let code = q.bind(currency)
        let money = { (minor: String) in
            "to_char((\(minor))::numeric / 100, 'FM999,999,999,999,999,990.00') || ' ' || \(code)::text"
        }
        let orders = "\(c).orders::text || CASE WHEN \(c).orders = 1 THEN ' order' ELSE ' orders' END"
        func figures(_ tier: Tier?) -> String {
            let t = tier?.thresholds ?? TierThresholds()
            var parts: [String] = []
            if t.minOrders != nil || t.isEmpty { parts.append(orders) }
            if t.minTotalSpentMinor != nil { parts.append("\(money("\(c).total")) || ' spent'") }
            if t.minAverageOrderMinor != nil || t.maxAverageOrderMinor != nil {
                parts.append(
                    "CASE WHEN \(c).orders = 0 THEN 'no average' ELSE 'an average of ' || \(money("\(c).total / \(c).orders")) END"
                )
            }
            if t.maxDaysSinceLastOrder != nil {
                parts.append(
                    """
                    CASE WHEN \(c).last IS NULL THEN 'no order'
                         ELSE 'the last order ' || floor(extract(epoch FROM \(asOf)::timestamptz - \(c).last) / 86400)::bigint
                              || ' days ago' END
                    """)
            }
            if t.minPoints != nil { parts.append("\(c).points_balance::text || ' points'") }
            return parts.joined(separator: " || ', ' || ") + " || ' in the window'"
        }
        var explained = "CASE \(deciding)"
        for tier in tiers {
            explained += """
                 WHEN \(q.bind(tier.code)) THEN \(figures(tier)) || \(q.bind("; \(tier.name) needs \(requirements(of: tier, currency: currency))"))
                """
        }
        explained += " ELSE \(figures(nil)) || '; ' || coalesce(\(deciding), 'no tier') || ' is no longer a tier' END"
        return "\(q.bind(cause + ": ")) || \(explained)"
    }
}
