import Foundation
import HTTPTypes
import Hummingbird
import ItineraAPI

/// The community in the console: events with their registrations (the check-in list and the
/// waiting list in order), and offers; and trip care's touchpoint rules with the touchpoints due.
extension ConsoleRoutes {
    func addCommunity(to router: Router<ItineraRequestContext>) {
        getPage(router, "/console/events") { request, _, session, page in
            return try await run("listEvents", session, page) { _, page in
                guard case .ok(let ok) = try await service.listEvents(.init(query: .init(limit: 200))),
                    case .json(let list) = ok.body
                else { throw Problem.forbidden("No events.") }
                let table = ConsoleTable.html(
                    list.items.map(ConsoleTable.json),
                    columns: [
                        (page.word("title_column"), "title"), (page.word("kind"), "kind"),
                        (page.word("when"), "starts_at_local"),
                        (page.word("state"), "state"), (page.word("capacity"), "capacity"),
                        (page.word("registered"), "registered_count"),
                    ], link: { "/console/events/\(ConsoleTable.text($0, "id"))" })
                return page.response(
                    title: page.word("events_title"),
                    body: """
                        <h1>\(page.word("events_title"))</h1><p><a href="/console">\(page.word("overview"))</a> · \
                        <a href="/console/offers">\(page.word("offers"))</a></p>\(table)
                        """)
            }
        }
        getPage(router, "/console/events/:id") { request, context, session, page in
            let id = context.parameters.get("id") ?? ""
            return try await run("listEventRegistrations", session, page) { principal, page in
                let mayCheckIn =
                    principal.role.map { AccessTable.rules["checkInEventRegistration"]?.roles.contains($0) ?? false }
                    ?? false
                let csrf = session.csrf(try await key.get())
                var sections = ""
                for state in [Components.Schemas.RegistrationState.registered, .waitlisted] {
                    guard
                        case .ok(let ok) = try await service.listEventRegistrations(
                            .init(path: .init(id: id), query: .init(limit: 200, state: state))),
                        case .json(let list) = ok.body
                    else { throw Problem.notFound("event", id) }
                    let title = state == .registered ? page.word("check_in_list") : page.word("waiting_list")
                    sections +=
                        "<h2>\(title)</h2>"
                        + ConsoleTable.html(
                            list.items.map(ConsoleTable.json),
                            columns: [
                                (page.word("customer"), "customer_id"), (page.word("state"), "state"),
                                (page.word("position"), "waitlist_position"),
                                (page.word("checked_in"), "checked_in_at"),
                            ], link: { "/console/customers/\(ConsoleTable.text($0, "customer_id"))" })
                    guard state == .registered, mayCheckIn else { continue }
                    // A button per registration not yet checked in, with a nonce of its own.
                    sections += list.items.filter { $0.checkedInAt == nil }.map { registration in
                        """
                        <form method="post" action="/console/events/\(HTMLPage.escaped(id))/check-in/\(registration.id)">\
                        <input type="hidden" name="csrf" value="\(csrf)">\
                        <input type="hidden" name="nonce" value="console-\(UUID().uuidString.lowercased())">\
                        <button type="submit">\(page.word("check_in")) \(registration.customerId)</button></form>
                        """
                    }.joined()
                }
                return page.response(
                    title: page.word("events_title"),
                    body: """
                        <h1>\(page.word("events_title"))</h1><p><a href="/console/events">\(page.word("events_title"))</a></p>\
                        \(sections)
                        """)
            }
        }
        postForm(router, "/console/events/:id/check-in/:registration") { request, context, form, session, page in
            let id = context.parameters.get("id") ?? "", registration = context.parameters.get("registration") ?? ""
            return try await run("checkInEventRegistration", session, page) { _, _ in
                _ = try await service.checkInEventRegistration(
                    .init(
                        path: .init(id: id, registrationId: registration),
                        body: .json(.init(nonce: form["nonce"] ?? "console"))))
                return Response(status: .seeOther, headers: [.location: "/console/events/\(id)"])
            }
        }
        getPage(router, "/console/offers") { request, _, session, page in
            return try await run("listOffers", session, page) { _, page in
                guard case .ok(let ok) = try await service.listOffers(.init(query: .init(limit: 200))),
                    case .json(let list) = ok.body
                else { throw Problem.forbidden("No offers.") }
                let table = ConsoleTable.html(
                    list.items.map(ConsoleTable.json),
                    columns: [
                        (page.word("name"), "name"), (page.word("benefit"), "benefit"), ("code", "code_mode"),
                        (page.word("redeemed"), "redeemed_count"), (page.word("expires"), "valid_until"),
                    ])
                return page.response(
                    title: page.word("offers"),
                    body: """
                        <h1>\(page.word("offers"))</h1><p><a href="/console">\(page.word("overview"))</a></p>\(table)
                        """)
            }
        }
        getPage(router, "/console/touchpoints") { request, _, session, page in
            return try await run("getTouchpointRules", session, page) { _, page in
                guard case .ok(let ok) = try await service.getTouchpointRules(.init()), case .json(let rules) = ok.body
                else { throw Problem.forbidden("No rules.") }
                var due = ""
                if case .ok(let answered) = try await service.listTouchpoints(
                    .init(query: .init(limit: 50, state: .pending))),
                    case .json(let list) = answered.body
                {
                    due = ConsoleTable.html(
                        list.items.map(ConsoleTable.json),
                        columns: [
                            (page.word("when"), "due_local"), ("rule", "rule"), ("channel", "channel"),
                            (page.word("customer"), "customer_id"), ("order", "order_id"),
                        ])
                }
                return page.response(
                    title: page.word("touchpoints"),
                    body: """
                        <h1>\(page.word("touchpoints"))</h1><p><a href="/console">\(page.word("overview"))</a></p>
                        <p>\(page.word("quiet_hours")): \(rules.quietHours.start)–\(rules.quietHours.end)</p>
                        \(ConsoleTable.html(
                            rules.rules.map(ConsoleTable.json),
                            columns: [
                                ("rule", "code"), ("phase", "phase"), ("anchor", "anchor"), ("offset (h)", "offset_hours"),
                                ("channel", "channel"), ("template", "template"), (page.word("category"), "product_category"),
                                ("destination", "destination"),
                            ]))
                        <h2>\(page.word("due_next")) (\(rules.pending))</h2>\(due)
                        """)
            }
        }
    }
}
