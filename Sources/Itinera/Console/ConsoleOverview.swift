import Foundation
import ItineraAPI

/// The overview dashboard: the insight figures as cards and server-drawn charts.
enum ConsoleOverview {
    /// The console's pages, as the overview links them.
    static let pages = [
        ("/console/customers", "customers"), ("/console/programs", "programs"),
        ("/console/campaigns", "campaigns_title"), ("/console/communities", "communities"),
        ("/console/events", "events_title"), ("/console/offers", "offers"), ("/console/complaints", "complaints"),
        ("/console/touchpoints", "touchpoints"), ("/console/webhooks", "webhooks"), ("/console/api-keys", "api_keys"),
        ("/console/users", "users"), ("/console/audit", "audit"),
    ]

    static func context(
        _ o: Components.Schemas.InsightOverview, page: ConsolePage, principal: Principal, csrf: String
    ) -> [String: Any] {
        let zone = principal.tenant.timeZone
        let computed = o.computedAt.formatted(
            Date.ISO8601FormatStyle(timeZone: zone).year().month().day().dateTimeSeparator(.space).time(
                includingFractionalSeconds: false))
        func percent(_ value: Double?) -> String { value.map { String(format: "%.1f%%", $0 * 100) } ?? "–" }
        let programmes = Set(o.tiers.map(\.programId)).count
        let tiers = o.tiers.map { tier in
            let name = tier.name ?? tier.tier ?? page.word("no_tier")
            return (programmes > 1 ? "\(tier.program): \(name)" : name, tier.members)
        }
        let nps = o.nps.map { ($0.month, Int(($0.nps ?? 0).rounded())) }
        return [
            "role": principal.role?.rawValue ?? "–", "tenant": principal.tenant.name, "computed": computed,
            "timezone": principal.tenant.timezone, "csrf": csrf,
            "nav": ConsolePage.links(pages.map { ($0.0, page.word($0.1)) })["links"] ?? [],
            "customers": o.customers.total, "buyers": o.customers.buyers,
            "repurchase": percent(o.customers.repurchaseRate),
            "recovered": o.campaigns.treatedRecovered, "treated": o.campaigns.treated,
            "uplift": percent(o.campaigns.uplift), "attendance": percent(o.community.attendanceRate),
            "checked_in": o.community.checkedIn, "registered": o.community.registered,
            "tiers": ConsolePage.chart(tiers, label: page.word("tiers")),
            "nps": ConsolePage.chart(nps, label: page.word("nps"), empty: page.word("no_answers")),
        ]
    }
}
