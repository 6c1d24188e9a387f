import Foundation
import HTTPTypes
import Hummingbird
import ItineraAPI

/// The console's reading pages: customers (search, and the one view with its timeline), the
/// complaints queue with its service-level clocks, and the audit log.
extension ConsoleRoutes {
    func addReads(to router: Router<ItineraRequestContext>) {
        getPage(router, "/console/customers") { request, _, session, page in
            let query = request.uri.queryParameters.get("query").flatMap { $0.isEmpty ? nil : String($0.prefix(200)) }
            return try await run("listCustomers", session, page) { _, page in
                guard case .ok(let ok) = try await service.listCustomers(.init(query: .init(limit: 50, query: query))),
                    case .json(let list) = ok.body
                else { throw Problem.forbidden("No customers.") }
                var context = page.toOverview
                context["query"] = query ?? ""
                context["table"] = page.table(
                    list.items.map(ConsoleTable.json),
                    columns: [
                        (page.word("name"), "name"), ("id", "id"), (page.word("orders"), "value.order_count"),
                        (page.word("spent"), "value.total_spent_minor"), ("RFM", "rfm.segment"),
                    ], link: { "/console/customers/\(ConsoleTable.text($0, "id"))" })
                return page.response("customers", title: page.word("customers"), context)
            }
        }
        getPage(router, "/console/customers/:id") { request, context, session, page in
            let id = context.parameters.get("id") ?? ""
            return try await run("getCustomer", session, page) { principal, page in
                guard case .ok(let ok) = try await service.getCustomer(.init(path: .init(id: id))),
                    case .json(let customer) = ok.body
                else { throw Problem.notFound("customer", id) }
                let view = ConsoleTable.json(customer)
                var context = ConsolePage.links([("/console/customers", page.word("customers"))])
                if case .ok(let answered) = try await service.getCustomerTimeline(
                    .init(path: .init(id: id), query: .init(limit: 50))),
                    case .json(let events) = answered.body
                {
                    context["timeline"] = page.table(
                        events.items.map(ConsoleTable.json),
                        columns: [(page.word("when"), "occurred_at"), (page.word("kind"), "kind"), ("id", "id")])
                }
                context["id"] = id
                context["memberships"] = page.table(
                    (view["memberships"] as? [[String: Any]]) ?? [],
                    columns: [
                        (page.word("membership"), "card_number"), (page.word("programs"), "program"),
                        (page.word("tier"), "tier.name"), (page.word("points"), "points_balance"),
                    ], link: { "/console/members/\(ConsoleTable.text($0, "member_id"))" })
                context["communities"] = page.table(
                    (view["communities"] as? [[String: Any]]) ?? [],
                    columns: [(page.word("communities"), "name"), (page.word("joined"), "joined_at")],
                    link: { "/console/communities/\(ConsoleTable.text($0, "id"))" })
                let shown = page.shower()
                context["facts"] = [
                    ("name", "name"), ("orders", "value.order_count"), ("spent", "value.total_spent_minor"),
                    ("RFM", "rfm.segment"),
                ].map { ["term": page.word($0.0), "value": shown(ConsoleTable.text(view, $0.1), $0.1)] }
                context["tags"] = (view["tags"] as? [[String: Any]] ?? []).map { ConsoleTable.text($0, "name") }
                    .joined(separator: ", ")
                context["consents"] = page.table(
                    (view["consents"] as? [[String: Any]]) ?? [],
                    columns: [("channel", "channel"), ("purpose", "purpose"), ("granted", "granted")])
                if principal.may("mergeCustomers") {
                    context["merge"] = true
                    context["csrf"] = session.csrf(try await key.get())
                }
                return page.response("customer", title: ConsoleTable.text(view, "name"), context)
            }
        }
        postForm(router, "/console/customers/:id/merge") { request, context, form, session, page in
            let id = context.parameters.get("id") ?? ""
            return try await run("mergeCustomers", session, page, back: "/console/customers/\(id)") { _, page in
                _ = try await service.mergeCustomers(
                    .init(path: .init(id: id), body: .json(.init(otherId: (form["other_id"] ?? "").trimmed))))
                return Response(status: .seeOther, headers: [.location: "/console/customers/\(id)"])
            }
        }
        getPage(router, "/console/complaints") { request, _, session, page in
            let breached = request.uri.queryParameters.get("breached").map { $0 == "true" }
            return try await run("listComplaints", session, page) { _, page in
                guard
                    case .ok(let ok) = try await service.listComplaints(
                        .init(query: .init(limit: 100, breached: breached))),
                    case .json(let list) = ok.body
                else { throw Problem.forbidden("No complaints.") }
                var context = ConsolePage.links([
                    ("/console", page.word("overview")), ("/console/complaints?breached=true", page.word("late_only")),
                ])
                context["table"] = page.table(
                    list.items.map(ConsoleTable.json),
                    columns: [
                        ("id", "id"), (page.word("state"), "state"), (page.word("severity"), "severity"),
                        (page.word("category"), "category"), (page.word("first_response_due"), "first_response_due_at"),
                        (page.word("first_response_late"), "first_response_breached"),
                        (page.word("resolution_due"), "resolution_due_at"),
                        (page.word("resolution_late"), "resolution_breached"),
                    ])
                return page.response("list", title: page.word("complaints"), context)
            }
        }
        getPage(router, "/console/audit") { request, _, session, page in
            return try await run("listAuditEvents", session, page) { _, page in
                guard case .ok(let ok) = try await service.listAuditEvents(.init(query: .init(limit: 100))),
                    case .json(let list) = ok.body
                else { throw Problem.forbidden("No audit events.") }
                var context = page.toOverview
                context["table"] = page.table(
                    list.items.map(ConsoleTable.json),
                    columns: [
                        (page.word("when"), "occurred_at"), (page.word("action"), "action"),
                        (page.word("actor"), "actor_type"), ("", "actor_id"), (page.word("target"), "target_type"),
                        ("", "target_id"),
                    ])
                return page.response("list", title: page.word("audit"), context)
            }
        }
    }
}
