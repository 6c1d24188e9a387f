import Foundation
import HTTPTypes
import Hummingbird
import ItineraAPI

/// The tier editor: a programme's tiers as a form, a preview of who would move before anything is
/// saved (`previewProgramTiers`), the save (`replaceProgramTiers`) and its re-evaluation job's
/// progress. The buttons a role may not use are not shown, and a post for them is refused by the
/// operation's rule all the same.
extension ConsoleRoutes {
    static let tierFields = [
        "min_orders", "min_total_spent_minor", "min_average_order_minor", "max_average_order_minor",
        "max_days_since_last_order", "min_points",
    ]

    func addTiers(to router: Router<ItineraRequestContext>) {
        getPage(router, "/console/programs") { request, _, session, page in
            return try await run("listPrograms", session, page) { _, page in
                guard case .ok(let ok) = try await service.listPrograms(.init(query: .init(limit: 200))),
                    case .json(let list) = ok.body
                else { throw Problem.forbidden("No programmes.") }
                var context = page.toOverview
                context["programs"] = list.items.map { ["id": $0.id, "name": $0.name] }
                return page.response("programs", title: page.word("programs"), context)
            }
        }
        getPage(router, "/console/programs/:id/tiers") { request, context, session, page in
            let id = context.parameters.get("id") ?? ""
            return try await run("getProgramTiers", session, page) { principal, page in
                guard case .ok(let ok) = try await service.getProgramTiers(.init(path: .init(id: id))),
                    case .json(let list) = ok.body
                else { throw Problem.notFound("programme", id) }
                let rows = list.tiers.map { tier in
                    Self.row(
                        code: tier.code, name: tier.name, rank: tier.rank, combine: tier.combine,
                        values: [
                            tier.minOrders.map(Int64.init), tier.minTotalSpentMinor, tier.minAverageOrderMinor,
                            tier.maxAverageOrderMinor, tier.maxDaysSinceLastOrder.map(Int64.init), tier.minPoints,
                        ], multiplier: tier.pointsMultiplier, benefits: tier.benefits)
                }
                return page.response(
                    "tier-editor", title: page.word("tier_editor"),
                    try await editor(
                        program: id, rows: rows, members: list.tiers.map { ($0.name, $0.members) }, preview: nil,
                        page: page, principal: principal, session: session))
            }
        }
        postForm(router, "/console/programs/:id/tiers", upTo: 64 * 1024) { request, context, form, session, page in
            let id = context.parameters.get("id") ?? ""
            let rows = Self.rows(form)
            let tiers = rows.map(Self.tierInput)
            if form["action"] == "save" {
                return try await run("replaceProgramTiers", session, page) { _, page in
                    guard
                        case .accepted(let accepted) = try await service.replaceProgramTiers(
                            .init(path: .init(id: id), body: .json(.init(tiers: tiers)))),
                        case .json(let change) = accepted.body
                    else { throw Problem.forbidden("Not saved.") }
                    return Response(
                        status: .seeOther,
                        headers: [
                            .location: "/console/jobs/\(change.reevaluation.id)?next=/console/programs/\(id)/tiers"
                        ])
                }
            }
            return try await run("previewProgramTiers", session, page) { principal, page in
                guard
                    case .ok(let ok) = try await service.previewProgramTiers(
                        .init(path: .init(id: id), body: .json(.init(tiers: tiers)))),
                    case .json(let preview) = ok.body
                else { throw Problem.forbidden("No preview.") }
                return page.response(
                    "tier-editor", title: page.word("tier_editor"),
                    try await editor(
                        program: id, rows: rows, members: [], preview: preview, page: page, principal: principal,
                        session: session))
            }
        }
        getPage(router, "/console/jobs/:id") { request, context, session, page in
            let id = context.parameters.get("id") ?? ""
            let next = request.uri.queryParameters.get("next").flatMap { $0.hasPrefix("/console/") ? $0 : nil }
            return try await run("getJob", session, page) { _, page in
                guard case .ok(let ok) = try await service.getJob(.init(path: .init(id: id))),
                    case .json(let job) = ok.body
                else { throw Problem.notFound("job", id) }
                let finished = ["succeeded", "failed", "cancelled"].contains(job.state.rawValue)
                let done = job.progress.done, total = job.progress.total.map(String.init) ?? "?"
                var headers = HTTPFields()
                if !finished { headers[HTTPField.Name("Refresh")!] = "1" }
                var context: [String: Any] = ["state": job.state.rawValue, "done": done, "total": total]
                if finished, let next { context["next"] = next }
                return page.response("job", title: job.kind, context, headers: headers)
            }
        }
    }

    /// The editor: each tier a fieldset, the preview's moves when there is one, the buttons the
    /// principal's role may use.
    private func editor(
        program: String, rows: [[String: String]], members: [(String, Int)],
        preview: Components.Schemas.TierPreview?, page: ConsolePage, principal: Principal, session: ConsoleSession
    ) async throws -> [String: Any] {
        let tiers = rows.enumerated().map { index, row -> [String: Any] in
            let fields = (["code", "name", "rank", "combine"] + Self.tierFields + ["points_multiplier", "benefits"])
                .map { field in
                    [
                        "id": "t\(index)-\(field)", "label": field, "name": "t\(index).\(field)",
                        "value": row[field] ?? "",
                    ]
                }
            return ["legend": row["name"] ?? "", "fields": fields]
        }
        var context = page.toOverview
        context["program"] = program
        context["csrf"] = session.csrf(try await key.get())
        context["tiers"] = tiers
        context["may_preview"] = principal.may("previewProgramTiers")
        context["may_save"] = principal.may("replaceProgramTiers")
        if !members.isEmpty { context["chart"] = ConsolePage.chart(members, label: page.word("tiers")) }
        if let preview {
            context["preview"] =
                [
                    "members": preview.members,
                    "moves": preview.moves.map {
                        [
                            "from": $0.from ?? "–", "to": $0.to ?? "–", "key": "\($0.from ?? "-")>\($0.to ?? "-")",
                            "count": $0.count,
                        ] as [String: Any]
                    },
                ] as [String: Any]
        }
        return context
    }

    /// A tier as the form shows it.
    static func row(
        code: String, name: String, rank: Int, combine: String, values: [Int64?], multiplier: Double,
        benefits: [String]
    ) -> [String: String] {
        var row = ["code": code, "name": name, "rank": String(rank), "combine": combine]
        for (field, value) in zip(tierFields, values) { row[field] = value.map(String.init) ?? "" }
        row["points_multiplier"] = String(multiplier)
        row["benefits"] = benefits.joined(separator: "; ")
        return row
    }

    /// The tiers a form sent (`t<i>.<field>`), those with a code.
    static func rows(_ form: [String: String]) -> [[String: String]] {
        (0..<20).compactMap { index in
            var row: [String: String] = [:]
            for (name, value) in form where name.hasPrefix("t\(index).") {
                row[String(name.dropFirst("t\(index).".count))] = value
            }
            return (row["code"] ?? "").isEmpty ? nil : row
        }
    }

    /// The API's tier from a row; fields that do not read as numbers are left out (and the
    /// operation's checks say what is missing).
    static func tierInput(_ row: [String: String]) -> Components.Schemas.TierInput {
        func number(_ field: String) -> Int64? { row[field].flatMap { Int64($0.trimmed) } }
        return Components.Schemas.TierInput(
            code: row["code"]?.trimmed ?? "", name: row["name"]?.trimmed ?? "",
            rank: number("rank").map(Int.init) ?? 0,
            combine: row["combine"].flatMap { .init(rawValue: $0.trimmed) },
            minOrders: number("min_orders").map(Int.init), minTotalSpentMinor: number("min_total_spent_minor"),
            minAverageOrderMinor: number("min_average_order_minor"),
            maxAverageOrderMinor: number("max_average_order_minor"),
            maxDaysSinceLastOrder: number("max_days_since_last_order").map(Int.init), minPoints: number("min_points"),
            pointsMultiplier: row["points_multiplier"].flatMap { Double($0.trimmed) },
            benefits: row["benefits"].map {
                $0.split(separator: ";").map { $0.trimmed }.filter { !$0.isEmpty }
            })
    }
}
