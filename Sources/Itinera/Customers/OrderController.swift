import Foundation
import ItineraAPI
import Logging
import OpenAPIRuntime

/// Orders and interactions that partners push: idempotent, and resolved to one customer.
struct OrderController: Sendable {
    let access: AccessControl
    /// The reactions to recorded and cancelled orders, and what they read in the order's insert.
    let events: DomainEvents
    let reads: OrderInsertReads
    let logger: Logger

    func createOrder(_ input: Operations.CreateOrder.Input) async throws -> Operations.CreateOrder.Output {
        let key = try IdempotencyStore.key(input.headers.idempotencyKey)
        guard case .json(let body) = input.body else { throw Problem.malformedBody("Expected a JSON body.") }
        let requestHash = try IdempotencyStore.requestHash(body)
        let operation = "order.create"
        // The claim reads the customer's telephone number in the tenant's country. When this process
        // has seen the credential before, the claim goes with the caller's lookup (one round trip
        // fewer); if the tenant's country turns out to differ, the transaction rolls back and the
        // order is made again without the guess.
        var guess: Guess?
        if let country = access.guessedCountry, let region = PhoneRegion.all[country],
            let reference = try? CustomerInput.reference(body.customer, region: region)
        {
            let claim = try OrderClaim.statement(
                operation: operation, key: key, requestHash: requestHash, identities: Self.claimed(reference))
            guess = Guess(country: country, reference: reference, claim: claim)
        }
        let order: Components.Schemas.Order
        do {
            order = try await record(body, operation: operation, key: key, requestHash: requestHash, guess: guess)
        } catch is CountryGuessWrong {
            order = try await record(body, operation: operation, key: key, requestHash: requestHash, guess: nil)
        }
        return .created(.init(body: .json(order)))
    }

    /// The tenant's country was not the one guessed: the claim sent with the lookup read the telephone
    /// number in the wrong country.
    struct CountryGuessWrong: Error {}

    /// The customer reference read in the country guessed for the tenant, and its claim.
    struct Guess {
        let country: String
        let reference: Reference
        let claim: PQStatement
    }

    typealias Reference = (
        id: Int64?, identities: [(identity: CustomerIdentity, field: String)], profile: CustomerProfile
    )

    /// The identities an order's claim looks up: none when the order names its customer by id.
    static func claimed(_ reference: Reference) -> [CustomerIdentity] {
        reference.id == nil ? reference.identities.map(\.identity) : []
    }

    private func record(
        _ body: Components.Schemas.OrderRequest, operation: String, key: String, requestHash: Data,
        guess: Guess?
    ) async throws -> Components.Schemas.Order {
        try await access.inTenant(sending: guess.map { [$0.claim] } ?? []) { tenant, principal, sent in
            if let guess, guess.country != principal.tenant.country { throw CountryGuessWrong() }
            // Read in the tenant's country: the guess's reading when the guess was right.
            let reference =
                try guess?.reference ?? CustomerInput.reference(body.customer, region: principal.tenant.phoneRegion)
            let details = try OrderInput.details(body, tenantCurrency: principal.tenant.currency)
            // The claim and the lookup of a returning customer share a round trip (with the caller's
            // lookup too, when the country was guessed).
            let (claimed, owners, ordersLocked) =
                if guess != nil, let rows = sent.first {
                    try OrderClaim.answer(rows, identities: Self.claimed(reference))
                } else {
                    try await OrderClaim.run(
                        operation: operation, key: key, requestHash: requestHash, identities: Self.claimed(reference),
                        on: tenant)
                }
            guard claimed else {
                guard
                    case .replay(_, let response) = try await IdempotencyStore.stored(
                        operation: operation, key: key, requestHash: requestHash, on: tenant)
                else { throw Problem.internalError(requestID: RequestScope.current?.requestID ?? "unknown") }
                return try StoredOrder.order(from: response).api
            }
            let resolution = try await IdentityResolver.resolve(
                reference.identities, customerID: reference.id, profile: reference.profile, knownOwners: owners,
                ordersLocked: ordersLocked, on: tenant)
            let arguments = OrderInsertArguments(
                order: details, customerID: resolution.customerID, idempotency: (operation, key), asOf: Date(),
                timeZone: principal.tenant.timeZone.identifier, customerLocked: resolution.ordersLocked)
            guard let (order, found) = try await OrderStore.insert(arguments, reads: reads, on: tenant) else {
                throw try await Self.externalIDTaken(details.externalID, on: tenant)
            }
            if resolution.created {
                try await events.publish(
                    CustomerCreated(customerID: resolution.customerID, source: "order"),
                    in: EventContext(connection: tenant, tenant: principal.tenant, events: events))
            }
            try await events.publish(
                OrderRecorded(
                    order: order, customerLocked: arguments.customerLocked, asOf: arguments.asOf, reads: found),
                in: EventContext(connection: tenant, tenant: principal.tenant, events: events))
            return order.api
        }
    }

    func listOrders(_ input: Operations.ListOrders.Input) async throws -> Operations.ListOrders.Output {
        let page = try PageRequest(limit: input.query.limit, cursor: input.query.cursor)
        let customer = try input.query.customerId.map { text throws(Problem) in
            try FieldText.id(text, field: "customer_id", what: "a customer id")
        }
        let after = try page.afterID()
        let orders = try await access.inTenant { tenant, _ in
            try await OrderStore.list(customer: customer, after: after, limit: page.limit + 1, on: tenant)
        }
        let (shown, next) = page.split(orders) { PageRequest.cursor([String($0.id)]) }
        return .ok(.init(body: .json(.init(items: shown.map(\.api), nextCursor: next))))
    }

    func getOrder(_ input: Operations.GetOrder.Input) async throws -> Operations.GetOrder.Output {
        let id = try Problem.pathID(input.path.id, of: "order")
        let order = try await access.inTenant { tenant, _ in
            guard let order = try await OrderStore.find(id: id, on: tenant) else {
                throw Problem.notFound("order", input.path.id)
            }
            return order
        }
        return .ok(.init(body: .json(order.api)))
    }

    func cancelOrder(_ input: Operations.CancelOrder.Input) async throws -> Operations.CancelOrder.Output {
        let id = try Problem.pathID(input.path.id, of: "order")
        let order = try await access.inTenant { tenant, principal in
            guard let change = try await OrderStore.cancel(id, on: tenant) else {
                throw Problem.notFound("order", input.path.id)
            }
            if change.before.details.status == .refunded {
                throw Problem.conflict("Order '\(id)' was refunded; a refunded order cannot be cancelled.")
            }
            if change.before.details.status.counts, !change.after.details.status.counts {
                try await events.publish(
                    OrderCancelled(order: change.after),
                    in: EventContext(connection: tenant, tenant: principal.tenant, events: events))
            }
            return change.after
        }
        return .ok(.init(body: .json(order.api)))
    }

    func createInteraction(_ input: Operations.CreateInteraction.Input) async throws
        -> Operations.CreateInteraction.Output
    {
        let key = try input.headers.idempotencyKey.map { text throws(Problem) in try IdempotencyStore.key(text) }
        guard case .json(let body) = input.body else { throw Problem.malformedBody("Expected a JSON body.") }
        guard Interaction.types.contains(body._type.rawValue) else {
            throw Problem.invalidField(
                "type",
                "type must be one of \(Interaction.types.sorted().joined(separator: ", ")); '\(body._type)' is not.")
        }
        let channel = try body.channel.map { text throws(Problem) in
            try OrderInput.trimmed(text, field: "channel", max: 100)
        }
        guard body.occurredAt <= Date().addingTimeInterval(300) else {
            throw Problem.invalidField("occurred_at", "occurred_at must not be in the future.")
        }
        let attributes =
            try body.attributes.map { attributes throws(Problem) in
                try CustomerInput.jsonObject(attributes.additionalProperties, field: "attributes")
            } ?? "{}"
        let requestHash = try IdempotencyStore.requestHash(body)
        let interaction = try await access.inTenant { tenant, principal in
            let reference = try CustomerInput.reference(body.customer, region: principal.tenant.phoneRegion)
            return try await IdempotencyStore.once(
                operation: "interaction.create", key: key, requestHash: requestHash, on: tenant
            ) {
                let resolution = try await IdentityResolver.resolve(
                    reference.identities, customerID: reference.id, profile: reference.profile, on: tenant)
                if resolution.created {
                    try await events.publish(
                        CustomerCreated(customerID: resolution.customerID, source: "interaction"),
                        in: EventContext(connection: tenant, tenant: principal.tenant, events: events))
                }
                let interaction = try await InteractionStore.insert(
                    customerID: resolution.customerID, type: body._type.rawValue, channel: channel,
                    occurredAt: body.occurredAt, attributes: attributes, on: tenant)
                return Components.Schemas.Interaction(
                    id: String(interaction.id), customerId: String(interaction.customerID), _type: interaction.type,
                    channel: interaction.channel, occurredAt: interaction.occurredAt,
                    attributes: body.attributes.map { .init(additionalProperties: $0.additionalProperties) } ?? .init())
            }
        }
        return .created(.init(body: .json(interaction)))
    }

    /// The 409 for an external id another order has.
    static func externalIDTaken(_ externalID: String?, on tenant: TenantConnection) async throws -> Problem {
        let existing = try await OrderStore.find(externalID: externalID, on: tenant)
        var problem = Problem.conflict(
            "An order with external_id '\(externalID ?? "")' is already recorded as order '\(existing.map { String($0.id) } ?? "?")'.",
            field: "external_id")
        if let existing { problem.members["order_id"] = .string(String(existing.id)) }
        return problem
    }
}
