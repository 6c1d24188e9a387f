import Foundation
import HTTPTypes
import Hummingbird
import ItineraAPI

/// A programme member in the console: tier, balance, the points ledger, and a points adjustment
/// with its reason for the roles whose rule allows it.
extension ConsoleRoutes {
    func addMembers(to router: Router<ItineraRequestContext>) {
        getPage(router, "/console/members/:id") { request, context, session, page in
            let id = context.parameters.get("id") ?? ""
            return try await run("getMember", session, page) { principal, page in
                guard case .ok(let ok) = try await service.getMember(.init(path: .init(id: id))),
                    case .json(let member) = ok.body
                else { throw Problem.notFound("member", id) }
                var context = ConsolePage.links([("/console/customers/\(member.customerId)", page.word("customer"))])
                if case .ok(let answered) = try await service.listMemberPoints(
                    .init(path: .init(id: id), query: .init(limit: 50))),
                    case .json(let entries) = answered.body
                {
                    context["ledger"] = page.table(
                        entries.items.map(ConsoleTable.json),
                        columns: [
                            (page.word("when"), "created_at"), (page.word("kind"), "kind"),
                            (page.word("points"), "points"),
                            (page.word("balance"), "balance_after"), (page.word("reason"), "reason"),
                        ])
                }
                context["id"] = id
                context["tier"] = member.tier?.name ?? "–"
                context["balance"] = member.pointsBalance
                if principal.may("adjustMemberPoints") {
                    context["adjust"] = true
                    context["csrf"] = session.csrf(try await key.get())
                }
                return page.response("member", title: member.cardNumber, context)
            }
        }
        postForm(router, "/console/members/:id/points") { request, context, form, session, page in
            let id = context.parameters.get("id") ?? ""
            return try await run("adjustMemberPoints", session, page, back: "/console/members/\(id)") { _, page in
                _ = try await service.adjustMemberPoints(
                    .init(
                        path: .init(id: id),
                        body: .json(
                            .init(
                                points: Int64((form["points"] ?? "").trimmed) ?? 0,
                                reason: (form["reason"] ?? "").trimmed))))
                return Response(status: .seeOther, headers: [.location: "/console/members/\(id)"])
            }
        }
    }
}
