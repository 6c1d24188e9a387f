import Foundation
import ItineraAPI
import Logging

/// Community offers: `/v1/offers/…`.
struct OfferController: Sendable {
    let access: AccessControl
    let events: DomainEvents
    let logger: Logger

    func listOffers(_ input: Operations.ListOffers.Input) async throws -> Operations.ListOffers.Output {
        let page = try PageRequest(limit: input.query.limit, cursor: input.query.cursor)
        let after = try page.afterID()
        let found = try await access.inTenant { tenant, _ in
            try await OfferStore.list(after: after, limit: page.limit + 1, on: tenant)
        }
        let (shown, next) = page.split(found) { PageRequest.cursor([String($0.id)]) }
        return .ok(.init(body: .json(.init(items: shown.map(\.api), nextCursor: next))))
    }

    func createOffer(_ input: Operations.CreateOffer.Input) async throws -> Operations.CreateOffer.Output {
        guard case .json(let body) = input.body else { throw Problem.malformedBody("Expected a JSON body.") }
        let draft = try Self.draft(body)
        let offer = try await access.inTenant { tenant, principal in
            guard try await OfferStore.count(on: tenant) < Offer.maxPerTenant else {
                throw Problem.conflict("A tenant keeps at most \(Offer.maxPerTenant) offers.")
            }
            let made: Offer
            switch try await OfferStore.insert(draft, on: tenant) {
            case .success(let offer): made = offer
            case .failure(.noCommunity):
                throw Problem.notFound("community", body.communityId ?? "", field: "community_id")
            case .failure(.noTier):
                throw Problem.invalidField(
                    "min_tier", "'\(draft.minTier ?? "")' is not a tier of programme \(body.programId ?? "").")
            }
            try await AuditLog.record(
                principal.auditEvent(
                    action: "offer.create", targetType: "offer", targetID: String(made.id), before: nil,
                    after: made.auditJSON),
                on: tenant)
            return made
        }
        return .created(.init(body: .json(offer.api)))
    }

    func getOffer(_ input: Operations.GetOffer.Input) async throws -> Operations.GetOffer.Output {
        let id = try Problem.pathID(input.path.id, of: "offer")
        let offer = try await access.inTenant { tenant, _ in try await Self.require(id, on: tenant) }
        return .ok(.init(body: .json(offer.api)))
    }

    func issueOfferCode(_ input: Operations.IssueOfferCode.Input) async throws -> Operations.IssueOfferCode.Output {
        let id = try Problem.pathID(input.path.id, of: "offer")
        guard case .json(let body) = input.body else { throw Problem.malformedBody("Expected a JSON body.") }
        let customer = try FieldText.id(body.customerId, field: "customer_id", what: "a customer's id")
        let (code, new) = try await access.inTenant { tenant, principal in
            let offer = try await Self.require(id, on: tenant)
            guard offer.codeMode == .perRecipient else {
                throw Problem.conflict("Offer \(id) has one code for everyone; it issues none per recipient.")
            }
            guard offer.state == "active", offer.validUntil > Date() else {
                throw Problem.conflict("Offer \(id) is retired or expired; it issues no more codes.")
            }
            let source = principal.role == nil ? "api" : "admin"
            guard let issued = try await OfferStore.issue(offer, to: customer, source: source, on: tenant) else {
                throw Problem.notFound("customer", body.customerId, field: "customer_id")
            }
            if issued.new {
                try await events.publish(
                    OfferCodeIssued(offer: offer, code: issued.code),
                    in: EventContext(connection: tenant, tenant: principal.tenant, events: events))
            }
            return issued
        }
        return new ? .created(.init(body: .json(code.api))) : .ok(.init(body: .json(code.api)))
    }

    func redeemOffer(_ input: Operations.RedeemOffer.Input) async throws -> Operations.RedeemOffer.Output {
        let id = try Problem.pathID(input.path.id, of: "offer")
        let key = try input.headers.idempotencyKey.map { text throws(Problem) in try IdempotencyStore.key(text) }
        guard case .json(let body) = input.body else { throw Problem.malformedBody("Expected a JSON body.") }
        let customer = try FieldText.id(body.customerId, field: "customer_id", what: "a customer's id")
        let order = try body.orderId.map { text throws(Problem) in
            try FieldText.id(text, field: "order_id", what: "an order's id")
        }
        let code = body.code?.trimmed.uppercased()
        let requestHash = try IdempotencyStore.requestHash(body)
        let redemption = try await access.inTenant { tenant, principal in
            try await IdempotencyStore.once(
                operation: "offer.\(id).redeem", key: key, requestHash: requestHash, on: tenant
            ) {
                switch try await OfferStore.redeem(id, customer: customer, code: code, order: order, on: tenant) {
                case .success(let (redemption, offer)):
                    try await events.publish(
                        OfferRedeemed(offer: offer, redemption: redemption),
                        in: EventContext(connection: tenant, tenant: principal.tenant, events: events))
                    return redemption.api
                case .failure(let refusal): throw Self.problem(refusal, offer: id, customer: body.customerId)
                }
            }
        }
        return .created(.init(body: .json(redemption)))
    }

    func listOfferRedemptions(_ input: Operations.ListOfferRedemptions.Input) async throws
        -> Operations.ListOfferRedemptions.Output
    {
        let id = try Problem.pathID(input.path.id, of: "offer")
        let page = try PageRequest(limit: input.query.limit, cursor: input.query.cursor)
        let before = try page.afterID()
        let found = try await access.inTenant { tenant, _ in
            _ = try await Self.require(id, on: tenant)
            return try await OfferStore.redemptions(of: id, before: before, limit: page.limit + 1, on: tenant)
        }
        let (shown, next) = page.split(found) { PageRequest.cursor([String($0.id)]) }
        return .ok(.init(body: .json(.init(items: shown.map(\.api), nextCursor: next))))
    }

    static func require(_ id: Int64, on tenant: TenantConnection) async throws -> Offer {
        guard let offer = try await OfferStore.find(id, on: tenant) else { throw Problem.notFound("offer", String(id)) }
        return offer
    }

    static func draft(_ body: Components.Schemas.OfferRequest) throws(Problem) -> Offer {
        let name = try FieldText.required(body.name, field: "name", max: 200)
        let benefit = try FieldText.required(body.benefit, field: "benefit", max: 500)
        let community = try body.communityId.map { text throws(Problem) in
            try FieldText.id(text, field: "community_id", what: "a community's id")
        }
        let (program, tier) = try CommunityInput.tier(programID: body.programId, minTier: body.minTier)
        guard body.codePrefix.range(of: "^[A-Z0-9]{1,12}$", options: .regularExpression) != nil else {
            throw .invalidField("code_prefix", "code_prefix must be 1–12 capital letters or digits.")
        }
        if let max = body.maxRedemptions, !(1...100_000_000).contains(max) {
            throw .invalidField("max_redemptions", "max_redemptions must be between 1 and 100000000.")
        }
        let perCustomer = body.perCustomerLimit ?? 1
        guard (1...1_000).contains(perCustomer) else {
            throw .invalidField("per_customer_limit", "per_customer_limit must be between 1 and 1000.")
        }
        let now = Date()
        let from = body.validFrom ?? now
        guard body.validUntil > from else {
            throw .invalidField("valid_until", "valid_until must be after valid_from.")
        }
        let mode = Offer.CodeMode(rawValue: body.codeMode.rawValue) ?? .perRecipient
        return Offer(
            id: 0, name: name, benefit: benefit, communityID: community, programID: program, minTier: tier,
            codeMode: mode, codePrefix: body.codePrefix,
            code: mode == .single ? Offer.code(prefix: body.codePrefix) : nil,
            maxRedemptions: body.maxRedemptions, perCustomerLimit: perCustomer, validFrom: from,
            validUntil: body.validUntil, state: "active", redeemedCount: 0, createdAt: now, updatedAt: now)
    }

    /// The 4xx for a refused redemption, naming the unmet condition.
    static func problem(_ refusal: OfferStore.Refusal, offer: Int64, customer: String) -> Problem {
        func refused(_ detail: String, condition: String, field: String? = nil) -> Problem {
            var problem = Problem(status: .conflict, type: "redemption-refused", title: "Not redeemed", detail: detail)
            problem.field = field
            problem.members["condition"] = .string(condition)
            return problem
        }
        switch refusal {
        case .noOffer: return Problem.notFound("offer", String(offer))
        case .noCustomer: return Problem.notFound("customer", customer, field: "customer_id")
        case .retired: return refused("Offer \(offer) is retired.", condition: "state")
        case .notYetValid(let from):
            return refused("Offer \(offer) is valid from \(from.formatted(.iso8601)).", condition: "validity")
        case .expired(let until):
            return refused("Offer \(offer) expired at \(until.formatted(.iso8601)).", condition: "validity")
        case .gated(let gate): return gate.problem
        case .wrongCode:
            return refused(
                "The code is not offer \(offer)'s, or not issued to customer \(customer).", condition: "code",
                field: "code")
        case .notTheirOrder:
            var problem = Problem.invalidField("order_id", "order_id must name one of customer \(customer)'s orders.")
            problem.members["condition"] = .string("order")
            return problem
        case .exhausted(let limit):
            return refused("Offer \(offer) has been redeemed \(limit) times, its limit.", condition: "max_redemptions")
        case .customerLimit(let limit):
            return refused(
                "Customer \(customer) has redeemed offer \(offer) \(limit) time\(limit == 1 ? "" : "s"), the limit per customer.",
                condition: "per_customer_limit")
        }
    }
}
