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
                var ledger = ""
                if case .ok(let answered) = try await service.listMemberPoints(
                    .init(path: .init(id: id), query: .init(limit: 50))),
                    case .json(let entries) = answered.body
                {
                    ledger = ConsoleTable.html(
                        entries.items.map(ConsoleTable.json),
                        columns: [
                            (page.word("when"), "created_at"), (page.word("kind"), "kind"),
                            (page.word("points"), "points"),
                            (page.word("balance"), "balance_after"), (page.word("reason"), "reason"),
                        ])
                }
                let mayAdjust =
                    principal.role.map { AccessTable.rules["adjustMemberPoints"]?.roles.contains($0) ?? false } ?? false
                let adjust =
                    mayAdjust
                    ? """
                    <form method="post" action="/console/members/\(HTMLPage.escaped(id))/points">\
                    <input type="hidden" name="csrf" value="\(session.csrf(try await key.get()))">\
                    <label for="points">\(page.word("points"))</label><input id="points" name="points" inputmode="numeric" required>\
                    <label for="reason">\(page.word("reason"))</label><input id="reason" name="reason" required>\
                    <p><button type="submit">\(page.word("adjust"))</button></p></form>
                    """ : ""
                return page.response(
                    title: member.cardNumber,
                    body: """
                        <h1>\(HTMLPage.escaped(member.cardNumber))</h1>
                        <p><a href="/console/customers/\(HTMLPage.escaped(member.customerId))">\(page.word("customer"))</a></p>
                        <p>\(page.word("tier")): <strong>\(HTMLPage.escaped(member.tier?.name ?? "–"))</strong> · \
                        \(page.word("balance")): <strong data-figure="balance">\(member.pointsBalance)</strong></p>
                        \(adjust)<h2>\(page.word("ledger"))</h2>\(ledger)
                        """)
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
