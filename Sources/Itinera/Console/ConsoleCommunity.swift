import Foundation
import HTTPTypes
import Hummingbird
import ItineraAPI

/// The community in the console: communities with their members and events, events with their
/// registrations (the check-in list and the waiting list in order), offers, each with a form to
/// create one for the roles whose rule allows it; and trip care's touchpoint rules, editable, with
/// the touchpoints due.
extension ConsoleRoutes {
    func addCommunity(to router: Router<ItineraRequestContext>) {
        getPage(router, "/console/communities") { request, _, session, page in
            return try await run("listCommunities", session, page) { principal, page in
                guard case .ok(let ok) = try await service.listCommunities(.init(query: .init(limit: 200))),
                    case .json(let list) = ok.body
                else { throw Problem.forbidden("No communities.") }
                var context = page.toOverview
                context["table"] = page.table(
                    list.items.map(ConsoleTable.json),
                    columns: [
                        (page.word("name"), "name"), (page.word("visibility"), "visibility"),
                        (page.word("tier"), "min_tier"), (page.word("members"), "member_count"),
                    ], link: { "/console/communities/\(ConsoleTable.text($0, "id"))" })
                if principal.may("createCommunity") {
                    context["csrf"] = session.csrf(try await key.get())
                    context["create"] = [
                        "heading": page.word("new_community"), "action": "/console/communities",
                        "fields": [
                            ConsoleForm.input("name", label: page.word("name"), required: true),
                            ConsoleForm.input("description", label: page.word("description")),
                            ConsoleForm.select(
                                "visibility", label: page.word("visibility"), ["open", "invitation", "tier"]),
                            ConsoleForm.input("program_id", label: page.word("program_id")),
                            ConsoleForm.input("min_tier", label: page.word("tier")),
                        ],
                    ]
                }
                return page.response("list", title: page.word("communities"), context)
            }
        }
        postForm(router, "/console/communities") { request, _, form, session, page in
            return try await run("createCommunity", session, page, back: "/console/communities") { _, _ in
                let request = Components.Schemas.CommunityRequest(
                    name: form.text("name") ?? "", description: form.text("description"),
                    visibility: try form.choice("visibility", Components.Schemas.CommunityVisibility.self),
                    programId: form.text("program_id"), minTier: form.text("min_tier"))
                guard case .created(let created) = try await service.createCommunity(.init(body: .json(request))),
                    case .json(let community) = created.body
                else { throw Problem.forbidden("Not created.") }
                return Response(status: .seeOther, headers: [.location: "/console/communities/\(community.id)"])
            }
        }
        getPage(router, "/console/communities/:id") { request, context, session, page in
            let id = context.parameters.get("id") ?? ""
            return try await run("getCommunity", session, page) { _, page in
                guard case .ok(let ok) = try await service.getCommunity(.init(path: .init(id: id))),
                    case .json(let community) = ok.body
                else { throw Problem.notFound("community", id) }
                var context = ConsolePage.links([("/console/communities", page.word("communities"))])
                context["description"] = community.description ?? ""
                context["visibility"] = community.visibility.rawValue
                context["member_count"] = community.memberCount
                if case .ok(let answered) = try await service.listCommunityMembers(
                    .init(path: .init(id: id), query: .init(limit: 100))),
                    case .json(let members) = answered.body
                {
                    context["members"] = page.table(
                        members.items.map(ConsoleTable.json),
                        columns: [
                            (page.word("customer"), "customer_id"), (page.word("joined"), "joined_at"),
                            (page.word("source"), "source"),
                        ], link: { "/console/customers/\(ConsoleTable.text($0, "customer_id"))" })
                }
                if case .ok(let answered) = try await service.listEvents(
                    .init(query: .init(limit: 100, communityId: id))),
                    case .json(let events) = answered.body
                {
                    context["events"] = Self.eventTable(events.items, page: page)
                }
                return page.response("community", title: community.name, context)
            }
        }
        getPage(router, "/console/events") { request, _, session, page in
            return try await run("listEvents", session, page) { principal, page in
                guard case .ok(let ok) = try await service.listEvents(.init(query: .init(limit: 200))),
                    case .json(let list) = ok.body
                else { throw Problem.forbidden("No events.") }
                var context = ConsolePage.links([
                    ("/console", page.word("overview")), ("/console/communities", page.word("communities")),
                    ("/console/offers", page.word("offers")),
                ])
                context["table"] = Self.eventTable(list.items, page: page)
                if principal.may("createEvent") {
                    context["csrf"] = session.csrf(try await key.get())
                    context["create"] = [
                        "heading": page.word("new_event"), "action": "/console/events",
                        "fields": [
                            ConsoleForm.input("title", label: page.word("title_column"), required: true),
                            ConsoleForm.select(
                                "kind", label: page.word("kind"),
                                Components.Schemas.EventKind.allCases.map(\.rawValue)),
                            ConsoleForm.input(
                                "starts_at", label: page.word("starts"), type: "datetime-local", required: true),
                            ConsoleForm.input(
                                "ends_at", label: page.word("ends"), type: "datetime-local", required: true),
                            ConsoleForm.input("location", label: page.word("location")),
                            ConsoleForm.input("capacity", label: page.word("capacity"), type: "number"),
                            ConsoleForm.input(
                                "waitlist_capacity", label: page.word("waitlist_capacity"), type: "number"),
                            ConsoleForm.input("community_id", label: page.word("community_id")),
                            ConsoleForm.select("state", label: page.word("state"), ["open", "draft"]),
                        ],
                    ]
                }
                return page.response("list", title: page.word("events_title"), context)
            }
        }
        postForm(router, "/console/events") { request, _, form, session, page in
            return try await run("createEvent", session, page, back: "/console/events") { principal, _ in
                let zone = principal.tenant.timeZone
                let request = Components.Schemas.EventRequest(
                    value1: .init(
                        communityId: form.text("community_id"), location: form.text("location"),
                        capacity: try form.number("capacity"), waitlistCapacity: try form.number("waitlist_capacity")),
                    value2: .init(
                        kind: try form.choice("kind", Components.Schemas.EventKind.self),
                        title: form.text("title") ?? "", startsAt: try form.localTime("starts_at", in: zone),
                        endsAt: try form.localTime("ends_at", in: zone),
                        state: try form.choice("state", Components.Schemas.EventRequest.Value2Payload.StatePayload.self)
                    ))
                guard case .created(let created) = try await service.createEvent(.init(body: .json(request))),
                    case .json(let event) = created.body
                else { throw Problem.forbidden("Not created.") }
                return Response(status: .seeOther, headers: [.location: "/console/events/\(event.id)"])
            }
        }
        getPage(router, "/console/events/:id") { request, context, session, page in
            let id = context.parameters.get("id") ?? ""
            return try await run("listEventRegistrations", session, page) { principal, page in
                guard case .ok(let found) = try await service.getEvent(.init(path: .init(id: id))),
                    case .json(let event) = found.body
                else { throw Problem.notFound("event", id) }
                let mayCheckIn = principal.may("checkInEventRegistration")
                var context = ConsolePage.links([("/console/events", page.word("events_title"))])
                context["csrf"] = session.csrf(try await key.get())
                context["when"] = "\(event.startsAtLocal) – \(event.endsAtLocal)"
                context["state"] = event.state.rawValue
                context["registered"] = event.registeredCount
                context["capacity"] = event.capacity.map(String.init) ?? "∞"
                var sections: [[String: Any]] = []
                for state in [Components.Schemas.RegistrationState.registered, .waitlisted] {
                    guard
                        case .ok(let ok) = try await service.listEventRegistrations(
                            .init(path: .init(id: id), query: .init(limit: 200, state: state))),
                        case .json(let list) = ok.body
                    else { throw Problem.notFound("event", id) }
                    let checkIn = state == .registered && mayCheckIn
                    sections.append([
                        "heading": state == .registered ? page.word("check_in_list") : page.word("waiting_list"),
                        "table": page.table(
                            list.items.map(ConsoleTable.json),
                            columns: [
                                (page.word("customer"), "customer_id"), (page.word("state"), "state"),
                                (page.word("position"), "waitlist_position"),
                                (page.word("checked_in"), "checked_in_at"),
                            ], link: { "/console/customers/\(ConsoleTable.text($0, "customer_id"))" },
                            form: { registration in
                                // A button per registration not yet checked in, with a nonce of its own.
                                guard checkIn, registration["checked_in_at"] == nil else { return nil }
                                return [
                                    "action":
                                        "/console/events/\(id)/check-in/\(ConsoleTable.text(registration, "id"))",
                                    "button":
                                        "\(page.word("check_in")) \(ConsoleTable.text(registration, "customer_id"))",
                                    "nonce": "console-\(UUID().uuidString.lowercased())",
                                ]
                            }),
                    ])
                }
                context["sections"] = sections
                return page.response("event", title: event.title, context)
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
            return try await run("listOffers", session, page) { principal, page in
                guard case .ok(let ok) = try await service.listOffers(.init(query: .init(limit: 200))),
                    case .json(let list) = ok.body
                else { throw Problem.forbidden("No offers.") }
                var context = page.toOverview
                context["table"] = page.table(
                    list.items.map(ConsoleTable.json),
                    columns: [
                        (page.word("name"), "name"), (page.word("benefit"), "benefit"), ("code", "code_mode"),
                        (page.word("redeemed"), "redeemed_count"), (page.word("expires"), "valid_until"),
                    ])
                if principal.may("createOffer") {
                    context["csrf"] = session.csrf(try await key.get())
                    context["create"] = [
                        "heading": page.word("new_offer"), "action": "/console/offers",
                        "fields": [
                            ConsoleForm.input("name", label: page.word("name"), required: true),
                            ConsoleForm.input("benefit", label: page.word("benefit"), required: true),
                            ConsoleForm.select("code_mode", label: "code", ["per_recipient", "single"]),
                            ConsoleForm.input("code_prefix", label: page.word("code_prefix"), required: true),
                            ConsoleForm.input(
                                "valid_until", label: page.word("expires"), type: "datetime-local", required: true),
                            ConsoleForm.input("max_redemptions", label: page.word("max_redemptions"), type: "number"),
                            ConsoleForm.input("community_id", label: page.word("community_id")),
                        ],
                    ]
                }
                return page.response("list", title: page.word("offers"), context)
            }
        }
        postForm(router, "/console/offers") { request, _, form, session, page in
            return try await run("createOffer", session, page, back: "/console/offers") { principal, _ in
                let request = Components.Schemas.OfferRequest(
                    name: form.text("name") ?? "", benefit: form.text("benefit") ?? "",
                    communityId: form.text("community_id"),
                    codeMode: try form.choice("code_mode", Components.Schemas.OfferRequest.CodeModePayload.self),
                    codePrefix: form.text("code_prefix") ?? "", maxRedemptions: try form.number("max_redemptions"),
                    validUntil: try form.localTime("valid_until", in: principal.tenant.timeZone))
                guard case .created = try await service.createOffer(.init(body: .json(request))) else {
                    throw Problem.forbidden("Not created.")
                }
                return Response(status: .seeOther, headers: [.location: "/console/offers"])
            }
        }
        getPage(router, "/console/touchpoints") { request, _, session, page in
            return try await run("getTouchpointRules", session, page) { principal, page in
                guard case .ok(let ok) = try await service.getTouchpointRules(.init()), case .json(let rules) = ok.body
                else { throw Problem.forbidden("No rules.") }
                var context = page.toOverview
                context["quiet_start"] = rules.quietHours.start
                context["quiet_end"] = rules.quietHours.end
                context["pending"] = rules.pending
                context["rules"] = page.table(
                    rules.rules.map(ConsoleTable.json),
                    columns: Self.ruleFields.map { ($0, $0) })
                if case .ok(let answered) = try await service.listTouchpoints(
                    .init(query: .init(limit: 50, state: .pending))),
                    case .json(let list) = answered.body
                {
                    context["due"] = page.table(
                        list.items.map(ConsoleTable.json),
                        columns: [
                            (page.word("when"), "due_local"), ("rule", "rule"), ("channel", "channel"),
                            (page.word("customer"), "customer_id"), ("order", "order_id"),
                        ])
                }
                if principal.may("replaceTouchpointRules") {
                    context["csrf"] = session.csrf(try await key.get())
                    // The rules as they are, and two empty rows for new ones.
                    let rows = rules.rules.map(ConsoleTable.json) + [[:], [:]]
                    context["edit"] = [
                        "rows": rows.enumerated().map { index, rule -> [String: Any] in
                            [
                                "legend": rule["code"] as? String ?? page.word("new_rule"),
                                "fields": Self.ruleFields.map { field -> [String: Any] in
                                    let value = ConsoleTable.text(rule, field)
                                    return [
                                        "id": "r\(index)-\(field)", "label": field, "name": "r\(index).\(field)",
                                        "value": value == "–" ? "" : value,
                                    ]
                                },
                            ]
                        }
                    ]
                }
                return page.response("touchpoints", title: page.word("touchpoints"), context)
            }
        }
        postForm(router, "/console/touchpoints", upTo: 64 * 1024) { request, _, form, session, page in
            return try await run("replaceTouchpointRules", session, page, back: "/console/touchpoints") { _, _ in
                let request = Components.Schemas.TouchpointRulesRequest(
                    quietHours: .init(start: form.text("quiet_start") ?? "", end: form.text("quiet_end") ?? ""),
                    rules: try Self.touchpointRules(form))
                _ = try await service.replaceTouchpointRules(.init(body: .json(request)))
                return Response(status: .seeOther, headers: [.location: "/console/touchpoints"])
            }
        }
    }

    static let ruleFields = [
        "code", "phase", "anchor", "offset_hours", "channel", "template", "product_category", "destination",
    ]

    /// The rules a form sent (`r<i>.<field>`), those with a code; a value the rule cannot take is a
    /// 422 naming the field, as the API would give.
    static func touchpointRules(_ form: [String: String]) throws -> [Components.Schemas.TouchpointRule] {
        try (0..<52).compactMap { index in
            func field(_ name: String) -> String { "r\(index).\(name)" }
            guard let code = form.text(field("code")) else { return nil }
            guard let offset = try form.number(field("offset_hours")) else {
                throw Problem.invalidField("rules[\(index)].offset_hours", "offset_hours is a whole number of hours.")
            }
            return Components.Schemas.TouchpointRule(
                code: code, phase: try form.choice(field("phase"), Components.Schemas.TouchpointRule.PhasePayload.self),
                anchor: form.text(field("anchor")) == nil
                    ? nil : try form.choice(field("anchor"), Components.Schemas.TouchpointRule.AnchorPayload.self),
                offsetHours: offset,
                channel: try form.choice(field("channel"), Components.Schemas.TouchpointRule.ChannelPayload.self),
                template: form.text(field("template")) ?? "", productCategory: form.text(field("product_category")),
                destination: form.text(field("destination")))
        }
    }

    /// Events as a table linking to each.
    static func eventTable(_ events: [Components.Schemas.Event], page: ConsolePage) -> [String: Any] {
        page.table(
            events.map(ConsoleTable.json),
            columns: [
                (page.word("title_column"), "title"), (page.word("kind"), "kind"),
                (page.word("when"), "starts_at_local"),
                (page.word("state"), "state"), (page.word("capacity"), "capacity"),
                (page.word("registered"), "registered_count"),
            ], link: { "/console/events/\(ConsoleTable.text($0, "id"))" })
    }
}

/// A form's fields read the way the API's body would carry them.
extension [String: String] {
    /// The field's text, trimmed; nil when absent or blank.
    func text(_ name: String) -> String? {
        guard let value = self[name]?.trimmed, !value.isEmpty else { return nil }
        return value
    }

    /// A whole number, nil when blank; other text is a 422 naming the field.
    func number(_ name: String) throws -> Int? {
        guard let text = text(name) else { return nil }
        guard let value = Int(text) else { throw Problem.invalidField(name, "\(name) is a whole number.") }
        return value
    }

    /// One of an enumeration's values; anything else is a 422 naming the field and the values.
    func choice<Choice: RawRepresentable & CaseIterable>(_ name: String, _ type: Choice.Type) throws -> Choice
    where Choice.RawValue == String {
        guard let value = text(name).flatMap(Choice.init(rawValue:)) else {
            let values = Choice.allCases.map(\.rawValue).joined(separator: ", ")
            throw Problem.invalidField(name, "\(name) is one of \(values).")
        }
        return value
    }

    /// A browser's `datetime-local` value (`2026-12-20T19:30`) read on the tenant's clock.
    func localTime(_ name: String, in zone: TimeZone) throws -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let parts = (text(name) ?? "").split(whereSeparator: { "-T:".contains($0) }).compactMap { Int($0) }
        guard parts.count == 5 || parts.count == 6,
            let date = calendar.date(
                from: DateComponents(
                    year: parts[0], month: parts[1], day: parts[2], hour: parts[3], minute: parts[4],
                    second: parts.count == 6 ? parts[5] : 0))
        else { throw Problem.invalidField(name, "\(name) is a date and time, 2026-12-20T19:30.") }
        return date
    }
}
