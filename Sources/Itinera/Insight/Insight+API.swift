import Foundation
import ItineraAPI

extension InsightSnapshot {
    var api: Components.Schemas.InsightOverview {
        let o = overview
        typealias S = Components.Schemas.InsightOverview
        func rate(_ part: Int, _ whole: Int) -> Double? { whole > 0 ? Double(part) / Double(whole) : nil }
        let treatedRate = rate(o.campaigns.treatedRecovered, o.campaigns.treated)
        let holdoutRate = rate(o.campaigns.holdoutRecovered, o.campaigns.holdout)
        return S(
            computedAt: computedAt, tookMs: tookMilliseconds, asOf: o.asOf, since: o.since, currency: o.currency,
            customers: .init(
                total: o.customers.total, buyers: o.customers.buyers, repeatBuyers: o.customers.repeatBuyers,
                repurchaseRate: rate(o.customers.repeatBuyers, o.customers.buyers)),
            cohorts: o.cohorts.map {
                .init(month: $0.month, size: $0.size, repurchased: $0.repurchased, returned: $0.returned)
            },
            tiers: o.tiers.map {
                .init(
                    programId: String($0.programID), program: $0.program, tier: $0.tier, name: $0.name, rank: $0.rank,
                    members: $0.members)
            },
            tierMoves: o.tierMoves.map {
                .init(programId: String($0.programID), from: $0.from, to: $0.to, members: $0.members)
            },
            revenueByTier: o.revenueByTier.map {
                .init(
                    programId: String($0.programID), tier: $0.tier, orders: $0.orders, revenueMinor: $0.revenueMinor,
                    averageOrderMinor: $0.orders > 0 ? $0.revenueMinor / Int64($0.orders) : 0)
            },
            rfm: o.rfm.map { .init(segment: $0.segment, customers: $0.customers, previous: $0.previous) },
            nps: o.nps.map {
                .init(
                    month: $0.month, responses: $0.responses, promoters: $0.promoters, detractors: $0.detractors,
                    nps: $0.responses > 0
                        ? (Double($0.promoters - $0.detractors) * 1000 / Double($0.responses)).rounded() / 10 : nil)
            },
            campaigns: .init(
                campaigns: o.campaigns.campaigns, treated: o.campaigns.treated,
                treatedRecovered: o.campaigns.treatedRecovered, holdout: o.campaigns.holdout,
                holdoutRecovered: o.campaigns.holdoutRecovered,
                recoveredRevenueMinor: o.campaigns.recoveredRevenueMinor,
                uplift: treatedRate.flatMap { t in holdoutRate.map { t - $0 } }),
            community: .init(
                events: o.community.events, registered: o.community.registered, checkedIn: o.community.checkedIn,
                attendanceRate: rate(o.community.checkedIn, o.community.registered), members: o.community.members,
                membersAverageSpentMinor: o.community.membersAverageSpentMinor,
                othersAverageSpentMinor: o.community.othersAverageSpentMinor))
    }
}
