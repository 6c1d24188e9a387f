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
                var context = page.toOverview
                context["table"] = page.table(
                    list.items.map(ConsoleTable.json),
                    columns: [(page.word("name"), "name"), (page.word("state"), "state")],
                    link: { "/console/campaigns/\(ConsoleTable.text($0, "id"))" })
                if principal.may("createCampaign") {
                    context["csrf"] = session.csrf(try await key.get())
                    context["create"] = Self.campaignForm(page: page)
                }
                return page.response("list", title: page.word("campaigns_title"), context)
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
                var context = ConsolePage.links([("/console/campaigns", page.word("campaigns_title"))])
                context["state"] = campaign.state.rawValue
                context["csrf"] = session.csrf(try await key.get())
                if principal.may("launchCampaign") && ["draft", "scheduled"].contains(campaign.state.rawValue) {
                    context["launch"] = [
                        "action": "/console/campaigns/\(campaign.id)/launch", "button": page.word("launch"),
                    ]
                }
                if principal.may("previewCampaign") && campaign.state.rawValue == "draft" {
                    context["preview"] = [
                        "action": "/console/campaigns/\(campaign.id)/preview", "button": page.word("preview_audience"),
                    ]
                }
                if let results { context["results"] = Self.results(results, page: page) }
                return page.response("campaign", title: campaign.name, context)
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
                var context = ConsolePage.links([("/console/campaigns/\(id)", page.word("back"))])
                context["audience"] = [
                    "size": preview.audience, "no_consent": preview.excluded.noConsent,
                    "cool_down": preview.excluded.coolDown, "holdout_history": preview.excluded.holdoutHistory,
                ]
                return page.response("campaign", title: page.word("preview_audience"), context)
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
    static func campaignForm(page: ConsolePage) -> [String: Any] {
        let fields: [(String, String, String)] = [
            ("name", page.word("name"), ""), ("lapsed_days_min", page.word("lapsed_min"), "90"),
            ("lapsed_days_max", page.word("lapsed_max"), ""), ("template", "template", ""),
            ("holdout_percent", page.word("holdout_percent"), "10"),
            ("attribution_days", page.word("attribution"), "30"),
            ("gift", page.word("gift"), ""),
        ]
        return [
            "heading": page.word("new_campaign"), "action": "/console/campaigns",
            "fields": fields.map { name, label, value in
                ConsoleForm.input(name, label: label, value: value, id: "c-\(name)")
            } + [ConsoleForm.select("channel", label: "channel", ["email", "sms", "wechat"], id: "c-channel")],
        ]
    }

    /// The two groups side by side, and the uplift with its interval drawn against zero.
    static func results(_ results: Components.Schemas.CampaignResults, page: ConsolePage) -> [String: Any] {
        func group(_ label: String, _ group: Components.Schemas.CampaignGroupResult, _ key: String) -> [String: Any] {
            [
                "key": key, "label": label, "recipients": group.recipients, "sent": group.sent,
                "recovered": group.recovered, "rate": String(format: "%.1f%%", group.rate * 100),
            ]
        }
        var context: [String: Any] = [
            "groups": [
                group(page.word("treated"), results.treated, "treated"),
                group(page.word("holdout"), results.holdout, "holdout"),
            ],
            "verdict": results.verdict,
        ]
        if let uplift = results.uplift {
            // −50 to +50 percentage points across 400 px, zero in the middle.
            func x(_ value: Double) -> String { String(format: "%.1f", 200 + max(-0.5, min(0.5, value)) * 400) }
            context["uplift"] = [
                "value": String(format: "%+.1f", uplift.value * 100),
                "lower": String(format: "%+.1f", uplift.lower * 100),
                "upper": String(format: "%+.1f", uplift.upper * 100), "value_x": x(uplift.value),
                "lower_x": x(uplift.lower), "upper_x": x(uplift.upper),
            ]
        }
        return context
    }
}
