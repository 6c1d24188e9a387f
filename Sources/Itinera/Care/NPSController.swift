import Foundation
import ItineraAPI
import Logging

/// NPS answers from partners (`/v1/surveys/nps/responses`) and their figures (`/v1/insight/nps`).
struct NPSController: Sendable {
    let access: AccessControl
    let events: DomainEvents
    let clock: WallClock
    let logger: Logger

    func createNpsResponse(_ input: Operations.CreateNpsResponse.Input) async throws
        -> Operations.CreateNpsResponse.Output
    {
        let key = try input.headers.idempotencyKey.map { text throws(Problem) in try IdempotencyStore.key(text) }
        guard case .json(let body) = input.body else { throw Problem.malformedBody("Expected a JSON body.") }
        let score = try NPSInput.score(body.score)
        let comment = try NPSInput.comment(body.comment)
        let order = try body.orderId.map { text throws(Problem) in
            try FieldText.id(text, field: "order_id", what: "an order's id")
        }
        let requestHash = try IdempotencyStore.requestHash(body)
        let at = clock.now()
        let answer = try await access.inTenant { tenant, principal in
            let reference = try CustomerInput.reference(body.customer, region: principal.tenant.phoneRegion)
            let named = body.customer.value2.id ?? body.customer.value1.email ?? body.customer.value1.phone ?? "?"
            var customer = reference.id
            if customer == nil {
                customer = try await IdentityResolver.knownCustomer(
                    reference.identities.map(\.identity), owners: nil, on: tenant)
            }
            guard let customer else { throw Problem.notFound("customer", named, field: "customer") }
            return try await IdempotencyStore.once(
                operation: "nps.answer", key: key, requestHash: requestHash, on: tenant
            ) {
                let recorded = try await NPSAnswering.record(
                    .init(
                        customer: customer, order: order, score: score, comment: comment,
                        stage: body.stage?.rawValue ?? "post", source: "api"),
                    at: at, in: EventContext(connection: tenant, tenant: principal.tenant, events: events))
                switch recorded {
                case .success(let response): return response.api
                case .failure(let refusal): throw refusal.problem(customer: String(customer), order: body.orderId)
                }
            }
        }
        return .created(.init(body: .json(answer)))
    }

    func listNpsResponses(_ input: Operations.ListNpsResponses.Input) async throws -> Operations.ListNpsResponses.Output
    {
        let page = try PageRequest(limit: input.query.limit, cursor: input.query.cursor)
        let after = try page.afterTimeAndNumber()
        let customer = try input.query.customerId.map { text throws(Problem) in
            try FieldText.id(text, field: "customer_id", what: "a customer's id")
        }
        let found = try await access.inTenant { tenant, _ in
            try await NPSStore.list(customer: customer, after: after, limit: page.limit + 1, on: tenant)
        }
        let (shown, next) = page.split(found) { PageRequest.cursor(time: $0.respondedAt, number: $0.id) }
        return .ok(.init(body: .json(.init(items: shown.map(\.api), nextCursor: next))))
    }

    func getNpsReport(_ input: Operations.GetNpsReport.Input) async throws -> Operations.GetNpsReport.Output {
        let (from, to) = try ReportRange.checked(
            from: input.query.from, to: input.query.to, now: clock.now(), defaultDays: 90)
        let unit = input.query.period?.rawValue ?? "month"
        let lines = try await access.inTenant { tenant, principal in
            try await NPSStore.report(from: from, to: to, unit: unit, timezone: principal.tenant.timezone, on: tenant)
        }
        func rows(_ dimension: String) -> [Components.Schemas.NpsFigures] {
            lines.filter { $0.dimension == dimension }.map(\.api)
        }
        let overall =
            lines.first { $0.dimension == "all" }?.api
            ?? Components.Schemas.NpsFigures(responses: 0, promoters: 0, passives: 0, detractors: 0)
        return .ok(
            .init(
                body: .json(
                    .init(
                        from: from, to: to, period: .init(rawValue: unit) ?? .month, overall: overall,
                        byPeriod: rows("period"), byDestination: rows("destination"),
                        byProductCategory: rows("product_category"), byTier: rows("tier"), byStage: rows("stage")))))
    }
}
