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
                var context = page.toOverview
                context["table"] = page.table(
                    list.items.map(ConsoleTable.json),
                    columns: [
                        ("URL", "url"), (page.word("state"), "state"), (page.word("events"), "event_types"),
                        (page.word("failing_since"), "failing_since"),
                    ], link: { "/console/webhooks/\(ConsoleTable.text($0, "id"))" })
                return page.response("list", title: page.word("webhooks"), context)
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
                var context = ConsolePage.links([("/console/webhooks", page.word("webhooks"))])
                context["csrf"] = session.csrf(try await key.get())
                let mayReplay = principal.may("replayWebhookDelivery")
                context["table"] = page.table(
                    list.items.map(ConsoleTable.json),
                    columns: [
                        (page.word("kind"), "event_type"), (page.word("state"), "state"),
                        (page.word("attempts"), "attempts"), ("HTTP", "last_status"),
                        (page.word("error"), "last_error"),
                        (page.word("delivered"), "delivered_at"),
                    ],
                    form: { delivery in
                        mayReplay
                            ? [
                                "action":
                                    "/console/webhooks/\(id)/deliveries/\(ConsoleTable.text(delivery, "id"))/replay",
                                "button": page.word("replay"),
                            ] : nil
                    })
                return page.response("list", title: page.word("deliveries"), context)
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
                var context = page.toOverview
                context["table"] = page.table(
                    list.items.map(ConsoleTable.json),
                    columns: [
                        (page.word("name"), "name"), ("scopes", "scopes"), (page.word("state"), "state"),
                        (page.word("last_used"), "last_used_at"), (page.word("expires"), "expires_at"),
                    ])
                return page.response("list", title: page.word("api_keys"), context)
            }
        }
        getPage(router, "/console/users") { request, _, session, page in
            return try await run("listUsers", session, page) { _, page in
                guard case .ok(let ok) = try await service.listUsers(.init()), case .json(let list) = ok.body
                else { throw Problem.forbidden("No users.") }
                var context = page.toOverview
                context["table"] = page.table(
                    list.items.map(ConsoleTable.json),
                    columns: [
                        (page.word("name"), "name"), (page.word("email"), "email"), ("role", "role"),
                        (page.word("state"), "state"),
                    ])
                return page.response("list", title: page.word("users"), context)
            }
        }
    }
}
