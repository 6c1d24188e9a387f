import Foundation
import ItineraAPI
import Logging
import OpenAPIRuntime

/// Customers: create-or-match, the one view, profile changes, erasure, merge and the timeline.
struct CustomerController: Sendable {
    let access: AccessControl
    /// The reactions to a merge.
    let events: DomainEvents
    /// The parts of the one view other capabilities own, in their order.
    var viewParts: [CustomerViewPart] = []
    let logger: Logger

    func createCustomer(_ input: Operations.CreateCustomer.Input) async throws -> Operations.CreateCustomer.Output {
        guard case .json(let body) = input.body else { throw Problem.malformedBody("Expected a JSON body.") }
        let profile = try CustomerInput.profile(body.value2)
        let consents = try CustomerInput.consents(body.value2.consents)
        let (customer, created, currency) = try await access.inTenant { tenant, principal in
            let identities = try CustomerInput.identities(body.value1, region: principal.tenant.phoneRegion)
            guard !identities.isEmpty else {
                throw Problem.invalidField(
                    "phone", "A customer needs at least one of phone, email, member_card or external_ids.")
            }
            let resolution = try await IdentityResolver.resolve(
                identities, profile: profile, consents: consents, on: tenant)
            if resolution.created {
                try await events.publish(
                    CustomerCreated(customerID: resolution.customerID, source: "api"),
                    in: EventContext(connection: tenant, tenant: principal.tenant, events: events))
            }
            return (
                try await CustomerStore.require(resolution.customerID, on: tenant), resolution.created,
                principal.tenant.currency
            )
        }
        let view = try customer.api(currency: currency)
        return created ? .created(.init(body: .json(view))) : .ok(.init(body: .json(view)))
    }

    func listCustomers(_ input: Operations.ListCustomers.Input) async throws -> Operations.ListCustomers.Output {
        let page = try PageRequest(limit: input.query.limit, cursor: input.query.cursor)
        var filter = CustomerStore.Filter()
        filter.tag = try input.query.tag.map { text throws(Problem) in try Tag.name(text, field: "tag") }
        filter.rfmSegment = input.query.rfmSegment?.rawValue
        if let segment = filter.rfmSegment, !RFM.segments.contains(where: { $0.name == segment }) {
            throw Problem.invalidField(
                "rfm_segment", "rfm_segment must be one of \(RFM.segments.map(\.name).joined(separator: ", ")).")
        }
        if let query = input.query.query, query.unicodeScalars.count > 200 {
            throw Problem.invalidField("query", "query must be at most 200 characters.")
        }
        let query = input.query.query?.trimmed
        let segment = try input.query.segment.map { text throws(Problem) in
            try FieldText.id(text, field: "segment", what: "the id of a saved segment")
        }
        let (customers, currency) = try await access.inTenant { tenant, principal in
            if let segment { filter.rule = try await SegmentStore.rule(of: segment, on: tenant) }
            if let query, !query.isEmpty {
                (filter.identities, filter.namePrefix) = Self.search(query, region: principal.tenant.phoneRegion)
            }
            return (try await CustomerStore.list(filter, page: page, on: tenant), principal.tenant.currency)
        }
        let (shown, next) = page.split(customers) {
            PageRequest.cursor([String($0.createdAt.epochMicroseconds), String($0.id)])
        }
        return .ok(.init(body: .json(.init(items: try shown.map { try $0.api(currency: currency) }, nextCursor: next))))
    }

    func getCustomer(_ input: Operations.GetCustomer.Input) async throws -> Operations.GetCustomer.Output {
        let id = try Problem.pathID(input.path.id, of: "customer")
        // Authentication, the reads (the other capabilities' parts too) and COMMIT in one round trip.
        let own = try CustomerStore.findStatements(id)
        let parts = try viewParts.map { try $0.statements(id) }
        let (principal, rows) = try await access.read(own + parts.joined())
        let customer = try CustomerStore.require(id, try CustomerStore.lookup(from: rows))
        var view = try customer.api(currency: principal.tenant.currency)
        var next = own.count
        for (part, statements) in zip(viewParts, parts) {
            try part.fill(&view, rows[next..<next + statements.count])
            next += statements.count
        }
        return .ok(.init(body: .json(view)))
    }

    func updateCustomer(_ input: Operations.UpdateCustomer.Input) async throws -> Operations.UpdateCustomer.Output {
        guard case .json(let body) = input.body else { throw Problem.malformedBody("Expected a JSON body.") }
        let id = try Problem.pathID(input.path.id, of: "customer")
        let profile = try CustomerInput.profile(body.value1)
        let consents = try CustomerInput.consents(body.value1.consents)
        let (customer, currency) = try await access.inTenant { tenant, principal in
            try await CustomerStore.requireLive(id, on: tenant)
            let before = try await CustomerStore.require(id, on: tenant)
            try await CustomerStore.apply(profile, to: id, overwrite: true, on: tenant)
            try await CustomerStore.record(consents, for: id, on: tenant)
            let after = try await CustomerStore.require(id, on: tenant)
            try await AuditLog.record(
                principal.auditEvent(
                    action: "customer.update", targetType: "customer", targetID: String(id),
                    before: try Self.auditDocument(before), after: try Self.auditDocument(after)),
                on: tenant)
            return (after, principal.tenant.currency)
        }
        return .ok(.init(body: .json(try customer.api(currency: currency))))
    }

    func eraseCustomer(_ input: Operations.EraseCustomer.Input) async throws -> Operations.EraseCustomer.Output {
        let id = try Problem.pathID(input.path.id, of: "customer")
        try await access.inTenant { tenant, principal in
            guard let summary = try await CustomerStore.erase(id, on: tenant) else { return }
            try await events.publish(
                CustomerErased(customerID: id),
                in: EventContext(connection: tenant, tenant: principal.tenant, events: events))
            try await AuditLog.record(
                principal.auditEvent(
                    action: "customer.erase", targetType: "customer", targetID: String(id), before: nil,
                    after: try JSONEncoder().encode(summary)),
                on: tenant)
        }
        return .noContent(.init())
    }

    func mergeCustomers(_ input: Operations.MergeCustomers.Input) async throws -> Operations.MergeCustomers.Output {
        guard case .json(let body) = input.body else { throw Problem.malformedBody("Expected a JSON body.") }
        let id = try Problem.pathID(input.path.id, of: "customer")
        let other = try CustomerInput.customerID(body.otherId, field: "other_id")
        guard other != id else { throw Problem.invalidField("other_id", "other_id must name another customer.") }
        let (customer, currency) = try await access.inTenant { tenant, principal in
            let summary = try await CustomerStore.merge(other, into: id, on: tenant) { merged in
                try await events.publish(
                    merged, in: EventContext(connection: tenant, tenant: principal.tenant, events: events))
            }
            try await AuditLog.record(
                principal.auditEvent(
                    action: "customer.merge", targetType: "customer", targetID: String(id), before: nil,
                    after: try JSONEncoder().encode(summary)),
                on: tenant)
            return (try await CustomerStore.require(id, on: tenant), principal.tenant.currency)
        }
        return .ok(.init(body: .json(try customer.api(currency: currency))))
    }

    func getCustomerTimeline(_ input: Operations.GetCustomerTimeline.Input) async throws
        -> Operations.GetCustomerTimeline.Output
    {
        let id = try Problem.pathID(input.path.id, of: "customer")
        let page = try PageRequest(limit: input.query.limit, cursor: input.query.cursor)
        let events = try await access.inTenant { tenant, _ in
            try await CustomerStore.requireLive(id, locking: false, on: tenant)
            return try await InteractionStore.timeline(of: id, page: page, on: tenant)
        }
        let (shown, next) = page.split(events) {
            PageRequest.cursor([String($0.occurredAt.epochMicroseconds), $0.kind, String($0.id)])
        }
        let items = try shown.map { event in
            Components.Schemas.TimelineEvent(
                kind: event.kind, id: String(event.id), occurredAt: event.occurredAt,
                data: .init(
                    additionalProperties: try JSONDecoder().decode(
                        OpenAPIObjectContainer.self, from: Data(event.data.utf8))))
        }
        return .ok(.init(body: .json(.init(items: items, nextCursor: next))))
    }

    func recomputeRfm(_ input: Operations.RecomputeRfm.Input) async throws -> Operations.RecomputeRfm.Output {
        let summary = try await access.inTenant { tenant, _ in try await RFMStore.recompute(on: tenant) }
        return .ok(
            .init(
                body: .json(
                    .init(
                        scored: summary.scored, cleared: summary.cleared,
                        segments: .init(additionalProperties: summary.segments), computedAt: summary.computedAt))))
    }

    /// What a search text looks for: the identity it reads as (an e-mail, a telephone number, a
    /// member card with a digit in it), or else the start of a name.
    static func search(_ text: String, region: PhoneRegion) -> ([CustomerIdentity], String?) {
        if text.contains("@") {
            return (
                (try? SignUpValidation.email(text, field: "query")).map { [CustomerIdentity(kind: .email, value: $0)] }
                    ?? [], nil
            )
        }
        if let phone = try? PhoneNumber.normalize(text, region: region, field: "query") {
            return ([CustomerIdentity(kind: .phone, value: phone)], nil)
        }
        if text.contains(where: \.isNumber), let card = try? IdentityInput.memberCard(text, field: "query") {
            return ([CustomerIdentity(kind: .memberCard, value: card)], nil)
        }
        return ([], String(text.prefix(200)))
    }

    /// The audit trail's copy of a profile: what an admin changed, without identities.
    static func auditDocument(_ customer: Customer) throws -> Data {
        var consents: [String: Bool] = [:]
        for consent in customer.consents { consents[consent.channel.rawValue] = consent.granted }
        struct Document: Encodable {
            let profile: CustomerProfile
            let consents: [String: Bool]
        }
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = .sortedKeys
        return try encoder.encode(Document(profile: customer.profile, consents: consents))
    }
}

extension Tenant {
    /// How customers' telephone numbers without a calling code are read.
    var phoneRegion: PhoneRegion { PhoneRegion.all[country] ?? PhoneRegion.all[SignUpValidation.defaultCountry]! }
}
