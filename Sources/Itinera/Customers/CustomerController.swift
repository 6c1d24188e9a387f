import Foundation
import ItineraAPI
import Logging
import OpenAPIRuntime

/// Customers: create-or-match, the one view, profile changes, erasure, merge and the timeline.
struct CustomerController: Sendable {
    let access: AccessControl
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
        let (customers, currency) = try await access.inTenant { tenant, principal in
            (try await CustomerStore.list(page: page, on: tenant), principal.tenant.currency)
        }
        let shown = customers.prefix(page.limit)
        let next =
            customers.count > page.limit
            ? shown.last.map { PageRequest.cursor([String($0.createdAt.epochMicroseconds), String($0.id)]) } : nil
        return .ok(.init(body: .json(.init(items: try shown.map { try $0.api(currency: currency) }, nextCursor: next))))
    }

    func getCustomer(_ input: Operations.GetCustomer.Input) async throws -> Operations.GetCustomer.Output {
        let id = try Self.pathID(input.path.id)
        let (customer, currency) = try await access.inTenant { tenant, principal in
            (try await CustomerStore.require(id, on: tenant), principal.tenant.currency)
        }
        return .ok(.init(body: .json(try customer.api(currency: currency))))
    }

    func updateCustomer(_ input: Operations.UpdateCustomer.Input) async throws -> Operations.UpdateCustomer.Output {
        guard case .json(let body) = input.body else { throw Problem.malformedBody("Expected a JSON body.") }
        let id = try Self.pathID(input.path.id)
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
        let id = try Self.pathID(input.path.id)
        try await access.inTenant { tenant, principal in
            guard let summary = try await CustomerStore.erase(id, on: tenant) else { return }
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
        let id = try Self.pathID(input.path.id)
        let other = try CustomerInput.customerID(body.otherId, field: "other_id")
        guard other != id else { throw Problem.invalidField("other_id", "other_id must name another customer.") }
        let (customer, currency) = try await access.inTenant { tenant, principal in
            let summary = try await CustomerStore.merge(other, into: id, on: tenant)
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
        let id = try Self.pathID(input.path.id)
        let page = try PageRequest(limit: input.query.limit, cursor: input.query.cursor)
        let events = try await access.inTenant { tenant, _ in
            try await CustomerStore.requireLive(id, locking: false, on: tenant)
            return try await InteractionStore.timeline(of: id, page: page, on: tenant)
        }
        let shown = events.prefix(page.limit)
        let next =
            events.count > page.limit
            ? shown.last.map { PageRequest.cursor([String($0.occurredAt.epochMicroseconds), $0.kind, String($0.id)]) }
            : nil
        let items = try shown.map { event in
            Components.Schemas.TimelineEvent(
                kind: event.kind, id: String(event.id), occurredAt: event.occurredAt,
                data: .init(
                    additionalProperties: try JSONDecoder().decode(
                        OpenAPIObjectContainer.self, from: Data(event.data.utf8))))
        }
        return .ok(.init(body: .json(.init(items: items, nextCursor: next))))
    }

    /// A customer id in a path; one that cannot be an id is as unknown as a missing one.
    static func pathID(_ text: String) throws(Problem) -> Int64 {
        guard let id = Int64(text), id > 0 else { throw Problem.notFound("customer", text) }
        return id
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
