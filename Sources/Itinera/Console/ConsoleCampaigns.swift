import Foundation
import HTTPTypes
import Hummingbird
import ItineraAPI

/// Campaigns in the console: the list, and one campaign with its results (the uplift and its 95%
/// interval drawn) and, for the roles whose rule allows it, the launch.
extension ConsoleRoutes {
    func addCampaigns(to router: Router<ItineraRequestContext>) {
        getPage(router, "/console/campaigns") { request, _, session, page in
            return try await run("listCampaigns", session, page) { principal, page in
                guard case .ok(let ok) = try await service.listCampaigns(.init(query: .init(limit: 200))),
                    case .json(let list) = ok.body
                else { throw Problem.forbidden("No campaigns.") }
                let rows = list.items.map { campaign in
                    """
                    <tr><td><a href="/console/campaigns/\(campaign.id)">\(HTMLPage.escaped(campaign.name))</a></td>\
                    <td>\(campaign.state.rawValue)</td></tr>
                    """
                }.joined()
                let mayCreate =
                    principal.role.map { AccessTable.rules["createCampaign"]?.roles.contains($0) ?? false } ?? false
                return page.response(
                    title: page.word("campaigns_title"),
                    body: """
                        <h1>\(page.word("campaigns_title"))</h1><p><a href="/console">\(page.word("overview"))</a></p>
                        <table><tr><th>\(page.word("name"))</th><th>\(page.word("state"))</th></tr>\(rows)</table>
                        \(mayCreate ? Self.campaignForm(csrf: session.csrf(try await key.get()), page: page) : "")
                        """)
            }
        }
        getPage(router, "/console/campaigns/:id") { request, context, session, page in
            let id = context.parameters.get("id") ?? ""
            return try await run("getCampaign", session, page) { principal, page in
                guard case .ok(let ok) = try await service.getCampaign(.init(path: .init(id: id))),
                    case .json(let campaign) = ok.body
                else { throw Problem.notFound("campaign", id) }
                var results: Components.Schemas.CampaignResults?
                if campaign.launchedAt != nil,
                    case .ok(let answered) = try await service.getCampaignResults(.init(path: .init(id: id))),
                    case .json(let figures) = answered.body
                {
                    results = figures
                }
                let mayLaunch =
                    principal.role.map { AccessTable.rules["launchCampaign"]?.roles.contains($0) ?? false } ?? false
                let csrf = session.csrf(try await key.get())
                let mayPreview =
                    principal.role.map { AccessTable.rules["previewCampaign"]?.roles.contains($0) ?? false } ?? false
                var launch =
                    mayLaunch && ["draft", "scheduled"].contains(campaign.state.rawValue)
                    ? """
                    <form method="post" action="/console/campaigns/\(campaign.id)/launch">\
                    <input type="hidden" name="csrf" value="\(csrf)">\
                    <button type="submit">\(page.word("launch"))</button></form>
                    """ : ""
                if mayPreview && campaign.state.rawValue == "draft" {
                    launch += """
                        <form method="post" action="/console/campaigns/\(campaign.id)/preview">\
                        <input type="hidden" name="csrf" value="\(csrf)">\
                        <button type="submit">\(page.word("preview_audience"))</button></form>
                        """
                }
                return page.response(
                    title: campaign.name,
                    body: """
                        <h1>\(HTMLPage.escaped(campaign.name))</h1>
                        <p><a href="/console/campaigns">\(page.word("campaigns_title"))</a></p>
                        <p>\(page.word("state")): <strong data-campaign-state="\(campaign.state.rawValue)">\
                        \(campaign.state.rawValue)</strong></p>\(launch)\(results.map { Self.results($0, page: page) } ?? "")
                        """)
            }
        }
        postForm(router, "/console/campaigns") { request, _, form, session, page in
            return try await run("createCampaign", session, page, back: "/console/campaigns") { _, page in
                func number(_ field: String) -> Int? { form[field].flatMap { Int($0.trimmed) } }
                let gift = (form["gift"] ?? "").trimmed
                let request = Components.Schemas.CampaignRequest(
                    name: (form["name"] ?? "").trimmed,
                    audience: .init(
                        lapsedDaysMin: number("lapsed_days_min") ?? 0, lapsedDaysMax: number("lapsed_days_max")),
                    offer: gift.isEmpty ? nil : .init(gift: gift),
                    channel: .init(rawValue: form["channel"] ?? "") ?? .email,
                    template: (form["template"] ?? "").trimmed,
                    holdoutPercent: number("holdout_percent") ?? -1, attributionDays: number("attribution_days") ?? 0)
                guard case .created(let created) = try await service.createCampaign(.init(body: .json(request))),
                    case .json(let campaign) = created.body
                else { throw Problem.forbidden("Not created.") }
                return Response(status: .seeOther, headers: [.location: "/console/campaigns/\(campaign.id)"])
            }
        }
        postForm(router, "/console/campaigns/:id/preview") { request, context, form, session, page in
            let id = context.parameters.get("id") ?? ""
            return try await run("previewCampaign", session, page) { _, page in
                guard case .ok(let ok) = try await service.previewCampaign(.init(path: .init(id: id))),
                    case .json(let preview) = ok.body
                else { throw Problem.notFound("campaign", id) }
                return page.response(
                    title: page.word("preview_audience"),
                    body: """
                        <h1>\(page.word("preview_audience"))</h1>
                        <p><a href="/console/campaigns/\(HTMLPage.escaped(id))">\(page.word("back"))</a></p>\
                        \(Self.audience(preview, page: page))
                        """)
            }
        }
        postForm(router, "/console/campaigns/:id/launch") { request, context, form, session, page in
            let id = context.parameters.get("id") ?? ""
            return try await run("launchCampaign", session, page) { _, page in
                _ = try await service.launchCampaign(.init(path: .init(id: id)))
                return Response(status: .seeOther, headers: [.location: "/console/campaigns/\(id)"])
            }
        }
    }

    /// The form of a new win-back campaign: who (days since the last order), by which template, with
    /// what hold-out, attribution window and gift.
    static func campaignForm(csrf: String, page: ConsolePage) -> String {
        let fields: [(String, String, String)] = [
            ("name", page.word("name"), ""), ("lapsed_days_min", page.word("lapsed_min"), "90"),
            ("lapsed_days_max", page.word("lapsed_max"), ""), ("template", "template", ""),
            ("holdout_percent", page.word("holdout_percent"), "10"),
            ("attribution_days", page.word("attribution"), "30"),
            ("gift", page.word("gift"), ""),
        ]
        let inputs = fields.map { name, label, value in
            "<div><label for=\"c-\(name)\">\(label)</label><input id=\"c-\(name)\" name=\"\(name)\" value=\"\(value)\"></div>"
        }.joined()
        return """
            <h2>\(page.word("new_campaign"))</h2>
            <form method="post" action="/console/campaigns"><input type="hidden" name="csrf" value="\(csrf)">
            <fieldset>\(inputs)<div><label for="c-channel">channel</label><select id="c-channel" name="channel">\
            <option>email</option><option>sms</option><option>wechat</option></select></div></fieldset>
            <p><button type="submit">\(page.word("create"))</button></p></form>
            """
    }

    /// A campaign's audience as a launch would draw it now.
    static func audience(_ preview: Components.Schemas.CampaignPreview, page: ConsolePage) -> String {
        """
        <section aria-live="polite"><h2>\(page.word("preview_audience"))</h2>
        <p>\(page.word("audience")): <strong data-figure="audience">\(preview.audience)</strong></p>
        <p>\(page.word("excluded")): \(page.word("no_consent")) \(preview.excluded.noConsent), \
        \(page.word("cool_down")) \(preview.excluded.coolDown), \(page.word("holdout_history")) \
        \(preview.excluded.holdoutHistory)</p></section>
        """
    }

    /// The two groups side by side, and the uplift with its interval drawn against zero.
    static func results(_ results: Components.Schemas.CampaignResults, page: ConsolePage) -> String {
        func row(_ label: String, _ group: Components.Schemas.CampaignGroupResult, _ key: String) -> String {
            """
            <tr data-group="\(key)"><td>\(label)</td><td>\(group.recipients)</td><td>\(group.sent)</td>\
            <td data-figure="\(key)-recovered">\(group.recovered)</td><td>\(String(format: "%.1f%%", group.rate * 100))</td></tr>
            """
        }
        var interval = ""
        if let uplift = results.uplift {
            // −50 to +50 percentage points across 400 px, zero in the middle.
            func x(_ value: Double) -> String { String(format: "%.1f", 200 + max(-0.5, min(0.5, value)) * 400) }
            interval = """
                <svg role="img" aria-label="\(page.word("uplift")): \(String(format: "%.1f", uplift.value * 100)) \
                (\(String(format: "%.1f", uplift.lower * 100)) – \(String(format: "%.1f", uplift.upper * 100)))" \
                viewBox="0 0 400 66" width="100%" style="max-width:400px">\
                <line x1="0" y1="45" x2="400" y2="45" stroke="#777"/>\
                <line x1="200" y1="5" x2="200" y2="45" stroke="#777" stroke-dasharray="3"/>\
                <text x="0" y="62" font-size="12">−50</text><text x="192" y="62" font-size="12">0</text>\
                <text x="372" y="62" font-size="12">+50</text>\
                <line x1="\(x(uplift.lower))" y1="25" x2="\(x(uplift.upper))" y2="25" stroke="#0b3d5c" stroke-width="4"/>\
                <circle cx="\(x(uplift.value))" cy="25" r="6" fill="#0b3d5c"/></svg>
                <p data-figure="uplift">\(page.word("uplift")): \(String(format: "%+.1f", uplift.value * 100)) pp \
                [\(String(format: "%+.1f", uplift.lower * 100)), \(String(format: "%+.1f", uplift.upper * 100))]</p>
                """
        }
        return """
            <h2>\(page.word("results"))</h2>
            <table><tr><th></th><th>\(page.word("recipients"))</th><th>\(page.word("sent"))</th>\
            <th>\(page.word("recovered"))</th><th>\(page.word("rate"))</th></tr>
            \(row(page.word("treated"), results.treated, "treated"))\(row(page.word("holdout"), results.holdout, "holdout"))
            </table>\(interval)<p>\(HTMLPage.escaped(results.verdict))</p>
            """
    }
}
