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
                let table = ConsoleTable.html(
                    list.items.map(ConsoleTable.json),
                    columns: [
                        (page.word("name"), "name"), ("id", "id"), (page.word("orders"), "value.order_count"),
                        (page.word("spent"), "value.total_spent_minor"), ("RFM", "rfm.segment"),
                    ], link: { "/console/customers/\(ConsoleTable.text($0, "id"))" })
                return page.response(
                    title: page.word("customers"),
                    body: """
                        <h1>\(page.word("customers"))</h1><p><a href="/console">\(page.word("overview"))</a></p>
                        <form method="get" role="search"><label for="query">\(page.word("search"))</label>\
                        <input id="query" name="query" value="\(HTMLPage.escaped(query ?? ""))"> \
                        <button type="submit">\(page.word("search"))</button></form>\(table)
                        """)
            }
        }
        getPage(router, "/console/customers/:id") { request, context, session, page in
            let id = context.parameters.get("id") ?? ""
            return try await run("getCustomer", session, page) { principal, page in
                guard case .ok(let ok) = try await service.getCustomer(.init(path: .init(id: id))),
                    case .json(let customer) = ok.body
                else { throw Problem.notFound("customer", id) }
                let view = ConsoleTable.json(customer)
                var timeline = ""
                var members: [String] = []
                if case .ok(let answered) = try await service.getCustomerTimeline(
                    .init(path: .init(id: id), query: .init(limit: 50))),
                    case .json(let events) = answered.body
                {
                    let entries = events.items.map(ConsoleTable.json)
                    timeline = ConsoleTable.html(
                        entries,
                        columns: [(page.word("when"), "occurred_at"), (page.word("kind"), "kind"), ("id", "id")])
                    // The memberships the tier changes name.
                    for entry in entries where ConsoleTable.text(entry, "kind") == "tier_change" {
                        let member = ConsoleTable.text(entry, "data.member_id")
                        if member != "–", !members.contains(member) { members.append(member) }
                    }
                }
                let memberships = members.map {
                    "<a href=\"/console/members/\($0)\">\(page.word("membership")) \($0)</a>"
                }.joined(separator: " · ")
                let facts = [
                    ("name", "name"), ("orders", "value.order_count"), ("spent", "value.total_spent_minor"),
                    ("RFM", "rfm.segment"),
                ].map { "<dt>\(page.word($0.0))</dt><dd>\(HTMLPage.escaped(ConsoleTable.text(view, $0.1)))</dd>" }
                    .joined()
                let tags = (view["tags"] as? [[String: Any]] ?? []).map { ConsoleTable.text($0, "name") }
                let mayMerge =
                    principal.role.map { AccessTable.rules["mergeCustomers"]?.roles.contains($0) ?? false } ?? false
                let merge =
                    mayMerge
                    ? """
                    <form method="post" action="/console/customers/\(HTMLPage.escaped(id))/merge">\
                    <input type="hidden" name="csrf" value="\(session.csrf(try await key.get()))">\
                    <label for="other">\(page.word("merge_other"))</label><input id="other" name="other_id" inputmode="numeric">\
                    <button type="submit">\(page.word("merge"))</button></form>
                    """ : ""
                return page.response(
                    title: ConsoleTable.text(view, "name"),
                    body: """
                        <h1>\(HTMLPage.escaped(ConsoleTable.text(view, "name")))</h1>
                        <p><a href="/console/customers">\(page.word("customers"))</a></p><dl>\(facts)</dl>
                        <p>\(page.word("tags")): \(HTMLPage.escaped(tags.joined(separator: ", ")))</p>
                        <h2>\(page.word("consents"))</h2>\(ConsoleTable.html(
                            (view["consents"] as? [[String: Any]]) ?? [],
                            columns: [("channel", "channel"), ("purpose", "purpose"), ("granted", "granted")]))
                        <p>\(memberships)</p>\(merge)<h2>\(page.word("timeline"))</h2>\(timeline)
                        """)
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
                let table = ConsoleTable.html(
                    list.items.map(ConsoleTable.json),
                    columns: [
                        ("id", "id"), (page.word("state"), "state"), (page.word("severity"), "severity"),
                        (page.word("category"), "category"), (page.word("first_response_due"), "first_response_due_at"),
                        (page.word("first_response_late"), "first_response_breached"),
                        (page.word("resolution_due"), "resolution_due_at"),
                        (page.word("resolution_late"), "resolution_breached"),
                    ])
                return page.response(
                    title: page.word("complaints"),
                    body: """
                        <h1>\(page.word("complaints"))</h1><p><a href="/console">\(page.word("overview"))</a> · \
                        <a href="/console/complaints?breached=true">\(page.word("late_only"))</a></p>\(table)
                        """)
            }
        }
        getPage(router, "/console/audit") { request, _, session, page in
            return try await run("listAuditEvents", session, page) { _, page in
                guard case .ok(let ok) = try await service.listAuditEvents(.init(query: .init(limit: 100))),
                    case .json(let list) = ok.body
                else { throw Problem.forbidden("No audit events.") }
                let table = ConsoleTable.html(
                    list.items.map(ConsoleTable.json),
                    columns: [
                        (page.word("when"), "occurred_at"), (page.word("action"), "action"),
                        (page.word("actor"), "actor_type"), ("", "actor_id"), (page.word("target"), "target_type"),
                        ("", "target_id"),
                    ])
                return page.response(
                    title: page.word("audit"),
                    body: """
                        <h1>\(page.word("audit"))</h1><p><a href="/console">\(page.word("overview"))</a></p>\(table)
                        """)
            }
        }
    }
}
