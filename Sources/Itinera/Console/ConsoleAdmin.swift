import Foundation
import HTTPTypes
import Hummingbird
import ItineraAPI

/// The console's administration pages: webhook endpoints with their delivery log and the replay of
/// one delivery, API keys, users and their roles.
extension ConsoleRoutes {
    func addAdmin(to router: Router<ItineraRequestContext>) {
        getPage(router, "/console/webhooks") { request, _, session, page in
            return try await run("listWebhookEndpoints", session, page) { _, page in
                guard case .ok(let ok) = try await service.listWebhookEndpoints(.init()), case .json(let list) = ok.body
                else { throw Problem.forbidden("No endpoints.") }
                let table = ConsoleTable.html(
                    list.items.map(ConsoleTable.json),
                    columns: [
                        ("URL", "url"), (page.word("state"), "state"), (page.word("events"), "event_types"),
                        (page.word("failing_since"), "failing_since"),
                    ], link: { "/console/webhooks/\(ConsoleTable.text($0, "id"))" })
                return page.response(
                    title: page.word("webhooks"),
                    body: """
                        <h1>\(page.word("webhooks"))</h1><p><a href="/console">\(page.word("overview"))</a></p>\(table)
                        """)
            }
        }
        getPage(router, "/console/webhooks/:id") { request, context, session, page in
            let id = context.parameters.get("id") ?? ""
            return try await run("listWebhookDeliveries", session, page) { principal, page in
                guard
                    case .ok(let ok) = try await service.listWebhookDeliveries(
                        .init(path: .init(id: id), query: .init(limit: 100))),
                    case .json(let list) = ok.body
                else { throw Problem.notFound("webhook endpoint", id) }
                let mayReplay =
                    principal.role.map { AccessTable.rules["replayWebhookDelivery"]?.roles.contains($0) ?? false }
                    ?? false
                let csrf = session.csrf(try await key.get())
                let rows = list.items.map { delivery in
                    let replay =
                        mayReplay
                        ? """
                        <form method="post" action="/console/webhooks/\(id)/deliveries/\(delivery.id)/replay">\
                        <input type="hidden" name="csrf" value="\(csrf)"><button type="submit">\(page.word("replay"))</button></form>
                        """ : ""
                    let json = ConsoleTable.json(delivery)
                    let cells = ["event_type", "state", "attempts", "last_status", "last_error", "delivered_at"].map {
                        "<td data-column=\"\($0)\">\(HTMLPage.escaped(ConsoleTable.text(json, $0)))</td>"
                    }.joined()
                    return "<tr>\(cells)<td>\(replay)</td></tr>"
                }.joined()
                let head = [
                    page.word("kind"), page.word("state"), page.word("attempts"), "HTTP", page.word("error"),
                    page.word("delivered"), "",
                ].map { "<th>\($0)</th>" }.joined()
                return page.response(
                    title: page.word("deliveries"),
                    body: """
                        <h1>\(page.word("deliveries"))</h1><p><a href="/console/webhooks">\(page.word("webhooks"))</a></p>
                        <div style="overflow-x:auto"><table><tr>\(head)</tr>\(rows)</table></div>
                        """)
            }
        }
        postForm(router, "/console/webhooks/:id/deliveries/:delivery/replay") { request, context, form, session, page in
            let id = context.parameters.get("id") ?? "", delivery = context.parameters.get("delivery") ?? ""
            return try await run("replayWebhookDelivery", session, page) { _, _ in
                _ = try await service.replayWebhookDelivery(.init(path: .init(id: id, deliveryId: delivery)))
                return Response(status: .seeOther, headers: [.location: "/console/webhooks/\(id)"])
            }
        }
        getPage(router, "/console/api-keys") { request, _, session, page in
            return try await run("listApiKeys", session, page) { _, page in
                guard case .ok(let ok) = try await service.listApiKeys(.init()), case .json(let list) = ok.body
                else { throw Problem.forbidden("No keys.") }
                let table = ConsoleTable.html(
                    list.items.map(ConsoleTable.json),
                    columns: [
                        (page.word("name"), "name"), ("scopes", "scopes"), (page.word("state"), "state"),
                        (page.word("last_used"), "last_used_at"), (page.word("expires"), "expires_at"),
                    ])
                return page.response(
                    title: page.word("api_keys"),
                    body: """
                        <h1>\(page.word("api_keys"))</h1><p><a href="/console">\(page.word("overview"))</a></p>\(table)
                        """)
            }
        }
        getPage(router, "/console/users") { request, _, session, page in
            return try await run("listUsers", session, page) { _, page in
                guard case .ok(let ok) = try await service.listUsers(.init()), case .json(let list) = ok.body
                else { throw Problem.forbidden("No users.") }
                let table = ConsoleTable.html(
                    list.items.map(ConsoleTable.json),
                    columns: [
                        (page.word("name"), "name"), (page.word("email"), "email"), ("role", "role"),
                        (page.word("state"), "state"),
                    ])
                return page.response(
                    title: page.word("users"),
                    body: """
                        <h1>\(page.word("users"))</h1><p><a href="/console">\(page.word("overview"))</a></p>\(table)
                        """)
            }
        }
    }
}
