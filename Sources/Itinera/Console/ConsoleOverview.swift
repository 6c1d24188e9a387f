import Foundation
import ItineraAPI

/// The overview dashboard: the insight figures as cards and server-drawn charts.
enum ConsoleOverview {
    static func html(
        _ o: Components.Schemas.InsightOverview, page: ConsolePage, principal: Principal, csrf: String
    ) -> String {
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
        let role = principal.role?.rawValue ?? "–"
        return """
            <h1>\(page.word("overview"))</h1>
            <p>\(page.word("signed_in_as")): <strong>\(HTMLPage.escaped(role))</strong> · \
            \(HTMLPage.escaped(principal.tenant.name)) · \(page.word("computed")) \(HTMLPage.escaped(computed)) \
            (\(HTMLPage.escaped(principal.tenant.timezone)))</p>
            <nav><a href="/console/customers">\(page.word("customers"))</a> · \
            <a href="/console/programs">\(page.word("programs"))</a> · \
            <a href="/console/campaigns">\(page.word("campaigns_title"))</a> · \
            <a href="/console/events">\(page.word("events_title"))</a> · \
            <a href="/console/offers">\(page.word("offers"))</a> · \
            <a href="/console/complaints">\(page.word("complaints"))</a> · \
            <a href="/console/touchpoints">\(page.word("touchpoints"))</a> · \
            <a href="/console/webhooks">\(page.word("webhooks"))</a> · \
            <a href="/console/api-keys">\(page.word("api_keys"))</a> · \
            <a href="/console/users">\(page.word("users"))</a> · \
            <a href="/console/audit">\(page.word("audit"))</a></nav>
            <form method="post" action="/console/sign-out"><input type="hidden" name="csrf" value="\(csrf)">
            <button type="submit">\(page.word("sign_out"))</button></form>
            <div class="cards">
            <section class="card"><h2>\(page.word("customers"))</h2><p class="figure" data-figure="customers">\
            \(o.customers.total)</p><p>\(page.word("buyers")): \(o.customers.buyers)</p>
            <p>\(page.word("repurchase")): <span data-figure="repurchase">\(percent(o.customers.repurchaseRate))</span></p></section>
            <section class="card"><h2>\(page.word("campaigns"))</h2>
            <p class="figure">\(o.campaigns.treatedRecovered) / \(o.campaigns.treated)</p>
            <p>\(page.word("uplift")): \(percent(o.campaigns.uplift))</p></section>
            <section class="card"><h2>\(page.word("attendance"))</h2>
            <p class="figure">\(percent(o.community.attendanceRate))</p>
            <p>\(o.community.checkedIn) / \(o.community.registered)</p></section>
            </div>
            <section><h2>\(page.word("tiers"))</h2>\(ConsolePage.barChart(tiers, label: page.word("tiers")))</section>
            <section><h2>\(page.word("nps"))</h2>\(ConsolePage.barChart(nps, label: page.word("nps"), empty: page.word("no_answers")))</section>
            """
    }
}
