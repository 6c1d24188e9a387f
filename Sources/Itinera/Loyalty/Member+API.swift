import Foundation
import ItineraAPI

extension Loyalty {
    /// The member view: tier, pending demotion, balance, expiring points, the window's figures and
    /// the way to the next tier.
    static func view(_ member: Member, program: Program, tenant: Tenant, on connection: TenantConnection) async throws
        -> Components.Schemas.Member
    {
        let tiers = try await ProgramStore.tiers(of: program.id, on: connection).map(\.tier)
        let evaluator = TierEvaluator(program, tiers: tiers, tenant: tenant)
        let asOf = Date()
        let start = evaluator.window.start(asOf: asOf, timeZone: evaluator.timeZone)
        let figures =
            try await standing(of: member.id, from: start, to: asOf, lock: false, on: connection)?.1
            ?? WindowFigures(orders: 0, totalSpentMinor: 0, lastOrderAt: nil, points: member.pointsBalance)
        let expiring = try await PointsStore.nextExpiry(of: member.id, on: connection)
        let current = tiers.first { $0.code == member.standing.tier }
        let next = evaluator.tiers.last { $0.rank > (current?.rank ?? 0) }
        return Components.Schemas.Member(
            id: String(member.id), programId: String(program.id), customerId: String(member.customerID),
            cardNumber: member.cardNumber,
            tier: member.standing.tier.map { code in
                .init(code: code, name: current?.name ?? code, since: member.standing.since ?? member.enrolledAt)
            },
            demotion: member.standing.demotionDueAt.map { .init(to: member.standing.demotionTo, dueAt: $0) },
            pointsBalance: member.pointsBalance,
            expiringPoints: expiring.map { .init(points: $0.1, expiresAt: $0.0) },
            window: .init(
                startsAt: start, orders: figures.orders,
                totalSpentMinor: figures.totalSpentMinor, averageOrderMinor: figures.averageOrderMinor,
                lastOrderAt: figures.lastOrderAt),
            nextTier: next.map { progress(to: $0, figures: figures, currency: program.currency, asOf: asOf) },
            enrolledAt: member.enrolledAt)
    }

    /// What a member lacks for `tier`, in numbers and words ("1 more order and an average 800.00 CNY
    /// higher to reach Diamond").
    static func progress(to tier: Tier, figures: WindowFigures, currency: String, asOf: Date)
        -> Components.Schemas.MemberProgress
    {
        let t = tier.thresholds
        var missing = Components.Schemas.MemberProgress.MissingPayload()
        var words: [String] = []
        if let min = t.minOrders, figures.orders < min {
            missing.orders = min - figures.orders
            words.append("\(min - figures.orders) more order\(min - figures.orders == 1 ? "" : "s")")
        }
        if let min = t.minTotalSpentMinor, figures.totalSpentMinor < min {
            missing.totalSpentMinor = min - figures.totalSpentMinor
            words.append("\(money(min - figures.totalSpentMinor, currency)) more spent")
        }
        if let min = t.minAverageOrderMinor {
            let average = figures.orders == 0 ? 0 : figures.totalSpentMinor / Int64(figures.orders)
            let exact = figures.orders > 0 && figures.totalSpentMinor >= min * Int64(figures.orders)
            if !exact {
                let gap = Swift.max(1, min - average)
                missing.averageOrderMinor = gap
                words.append(
                    figures.orders == 0
                        ? "an average order of at least \(money(min, currency))"
                        : "an average \(money(gap, currency)) higher")
            }
        }
        if let max = t.maxAverageOrderMinor, figures.orders > 0, figures.totalSpentMinor > max * Int64(figures.orders) {
            words.append("an average of at most \(money(max, currency))")
        }
        if let max = t.maxDaysSinceLastOrder, (figures.daysSinceLastOrder(asOf: asOf) ?? Int.max) > max {
            words.append("an order within \(max) days")
        }
        if let min = t.minPoints, figures.points < min {
            missing.points = min - figures.points
            words.append("\(min - figures.points) more points")
        }
        let joined: String
        switch (words.count, tier.combine) {
        case (0, _): joined = "Qualifies for \(tier.name) at the next evaluation"
        case (1, _): joined = "\(words[0]) to reach \(tier.name)"
        case (_, .all):
            joined = words.dropLast().joined(separator: ", ") + " and \(words.last!) to reach \(tier.name)"
        case (_, .any):
            joined = words.dropLast().joined(separator: ", ") + " or \(words.last!) to reach \(tier.name)"
        }
        return .init(
            tier: tier.code, name: tier.name, summary: joined.prefix(1).uppercased() + joined.dropFirst(),
            missing: missing)
    }
}

extension MemberController {
    static func api(_ entry: PointsEntry) -> Components.Schemas.PointsEntry {
        .init(
            id: String(entry.id), kind: .init(rawValue: entry.kind.rawValue) ?? .adjust, points: entry.points,
            balanceAfter: entry.balanceAfter, orderId: entry.orderID.map(String.init), reason: entry.reason,
            createdAt: entry.createdAt)
    }
}
