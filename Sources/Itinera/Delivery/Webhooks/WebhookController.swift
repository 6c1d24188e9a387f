import Foundation
import ItineraAPI
import Logging

/// A tenant's webhook endpoints and their deliveries: `/v1/webhook-endpoints/…`.
struct WebhookController: Sendable {
    let access: AccessControl
    let settings: WebhookSettings
    let logger: Logger

    /// How long a rotated-out secret keeps signing beside the new one.
    static let rotationOverlap: TimeInterval = 24 * 3600
    /// The widest time range one replay may cover, and the most events it may send.
    static let maxReplayRange: TimeInterval = 31 * 24 * 3600
    static let maxReplayEvents = 100_000

    func listWebhookEndpoints(_ input: Operations.ListWebhookEndpoints.Input) async throws
        -> Operations.ListWebhookEndpoints.Output
    {
        let page = try PageRequest(limit: input.query.limit, cursor: input.query.cursor)
        let after = try page.afterTimeAndUUID()
        let endpoints = try await access.inTenant { tenant, _ in
            try await WebhookStore.list(after: after, limit: page.limit + 1, on: tenant)
        }
        let (shown, next) = page.split(endpoints) { PageRequest.cursor(time: $0.createdAt, id: $0.id) }
        return .ok(.init(body: .json(.init(items: shown.map(\.api), nextCursor: next))))
    }

    func createWebhookEndpoint(_ input: Operations.CreateWebhookEndpoint.Input) async throws
        -> Operations.CreateWebhookEndpoint.Output
    {
        guard case .json(let body) = input.body else { throw Problem.malformedBody("Expected a JSON body.") }
        let url = try WebhookInput.url(body.url, allowPlainHTTP: settings.allowPrivate)
        let description = try WebhookInput.description(body.description)
        let types = try WebhookInput.eventTypes(body.eventTypes?.map(\.rawValue))
        let secret = WebhookSecret.generate()
        let endpoint = try await access.inTenant { tenant, principal in
            guard try await WebhookStore.count(on: tenant) < WebhookEndpoint.maxPerTenant else {
                throw Problem.conflict(
                    "The tenant already has \(WebhookEndpoint.maxPerTenant) webhook endpoints; remove one first.")
            }
            let endpoint = try await WebhookStore.create(
                url: url, description: description, eventTypes: types, secret: secret, on: tenant)
            try await audit("webhook_endpoint.create", endpoint.id, before: nil, after: endpoint, principal, tenant)
            return endpoint
        }
        return .created(.init(body: .json(.init(value1: endpoint.api, value2: .init(secret: secret.text)))))
    }

    func getWebhookEndpoint(_ input: Operations.GetWebhookEndpoint.Input) async throws
        -> Operations.GetWebhookEndpoint.Output
    {
        let id = try Self.endpointID(input.path.id)
        let endpoint = try await access.inTenant { tenant, _ in try await Self.require(id, input.path.id, on: tenant) }
        return .ok(.init(body: .json(endpoint.api)))
    }

    func updateWebhookEndpoint(_ input: Operations.UpdateWebhookEndpoint.Input) async throws
        -> Operations.UpdateWebhookEndpoint.Output
    {
        let id = try Self.endpointID(input.path.id)
        guard case .json(let body) = input.body else { throw Problem.malformedBody("Expected a JSON body.") }
        let url = try body.url.map { text throws(Problem) in
            try WebhookInput.url(text, allowPlainHTTP: settings.allowPrivate)
        }
        let description = try body.description.map { text throws(Problem) in try WebhookInput.description(text) }
        let types = try body.eventTypes.map { types throws(Problem) in
            try WebhookInput.eventTypes(types.map(\.rawValue))
        }
        let endpoint = try await access.inTenant { tenant, principal in
            let before = try await Self.require(id, input.path.id, lock: true, on: tenant)
            var changed = before
            if let url { changed.url = url }
            if let description { changed.description = description }
            if let types { changed.eventTypes = types }
            if let enabled = body.enabled {
                changed.state = enabled ? "enabled" : "disabled"
                if !enabled, before.state == "enabled" { changed.disabledReason = "disabled by an admin" }
            }
            guard changed != before else { return before }
            let after = try await WebhookStore.update(changed, on: tenant)
            try await audit("webhook_endpoint.update", id, before: before, after: after, principal, tenant)
            return after
        }
        return .ok(.init(body: .json(endpoint.api)))
    }

    func deleteWebhookEndpoint(_ input: Operations.DeleteWebhookEndpoint.Input) async throws
        -> Operations.DeleteWebhookEndpoint.Output
    {
        let id = try Self.endpointID(input.path.id)
        try await access.inTenant { tenant, principal in
            let before = try await Self.require(id, input.path.id, lock: true, on: tenant)
            try await WebhookStore.delete(id, on: tenant)
            try await audit("webhook_endpoint.delete", id, before: before, after: nil, principal, tenant)
        }
        return .noContent(.init())
    }

    func rotateWebhookSecret(_ input: Operations.RotateWebhookSecret.Input) async throws
        -> Operations.RotateWebhookSecret.Output
    {
        let id = try Self.endpointID(input.path.id)
        let secret = WebhookSecret.generate()
        let until = Date().addingTimeInterval(Self.rotationOverlap)
        try await access.inTenant { tenant, principal in
            let endpoint = try await Self.require(id, input.path.id, lock: true, on: tenant)
            try await WebhookStore.rotate(id, to: secret, previousUntil: until, on: tenant)
            try await audit("webhook_endpoint.rotate_secret", id, before: endpoint, after: endpoint, principal, tenant)
        }
        return .ok(.init(body: .json(.init(secret: secret.text, previousSecretExpiresAt: until))))
    }

    func listWebhookDeliveries(_ input: Operations.ListWebhookDeliveries.Input) async throws
        -> Operations.ListWebhookDeliveries.Output
    {
        let id = try Self.endpointID(input.path.id)
        let page = try PageRequest(limit: input.query.limit, cursor: input.query.cursor)
        let after = try page.afterTimeAndUUID()
        let deliveries = try await access.inTenant { tenant, _ in
            _ = try await Self.require(id, input.path.id, on: tenant)
            return try await WebhookDeliveryStore.list(
                endpoint: id, state: input.query.state?.rawValue, after: after, limit: page.limit + 1, on: tenant)
        }
        let (shown, next) = page.split(deliveries) { PageRequest.cursor(time: $0.createdAt, id: $0.id) }
        return .ok(.init(body: .json(.init(items: shown.map(\.api), nextCursor: next))))
    }

    func replayWebhookDelivery(_ input: Operations.ReplayWebhookDelivery.Input) async throws
        -> Operations.ReplayWebhookDelivery.Output
    {
        let id = try Self.endpointID(input.path.id)
        guard let deliveryID = UUID(uuidString: input.path.deliveryId) else {
            throw Problem.notFound("delivery", input.path.deliveryId)
        }
        let delivery = try await access.inTenant { tenant, principal in
            _ = try await Self.requireEnabled(id, input.path.id, on: tenant)
            guard
                let delivery = try await WebhookDeliveryStore.replay(
                    deliveryID, endpoint: id, tenantID: principal.tenant.id, maxAttempts: settings.maxAttempts,
                    on: tenant)
            else { throw Problem.notFound("delivery", input.path.deliveryId) }
            try await AuditLog.record(
                principal.auditEvent(
                    action: "webhook_delivery.replay", targetType: "webhook_delivery",
                    targetID: deliveryID.uuidString.lowercased(), before: nil,
                    after: try? JSONSerialization.data(withJSONObject: ["replay": delivery.id.uuidString.lowercased()])),
                on: tenant)
            return delivery
        }
        return .accepted(.init(body: .json(delivery.api)))
    }

    func replayWebhookEvents(_ input: Operations.ReplayWebhookEvents.Input) async throws
        -> Operations.ReplayWebhookEvents.Output
    {
        let id = try Self.endpointID(input.path.id)
        guard case .json(let body) = input.body else { throw Problem.malformedBody("Expected a JSON body.") }
        guard body.since < body.until else { throw Problem.invalidField("until", "until must be after since.") }
        guard body.until.timeIntervalSince(body.since) <= Self.maxReplayRange else {
            throw Problem.invalidField("until", "A replay covers at most 31 days; until is further from since.")
        }
        let queued = try await access.inTenant { tenant, principal in
            let endpoint = try await Self.requireEnabled(id, input.path.id, on: tenant)
            let (found, queued) = try await WebhookDeliveryStore.replay(
                endpoint: endpoint, since: body.since, until: body.until, limit: Self.maxReplayEvents,
                tenantID: principal.tenant.id, maxAttempts: settings.maxAttempts, on: tenant)
            guard found <= Self.maxReplayEvents else {
                throw Problem.invalidField(
                    "until",
                    "The range holds more than \(Self.maxReplayEvents) events, the most a replay sends. Choose a shorter range."
                )
            }
            try await AuditLog.record(
                principal.auditEvent(
                    action: "webhook_endpoint.replay", targetType: "webhook_endpoint",
                    targetID: id.uuidString.lowercased(), before: nil,
                    after: try? JSONSerialization.data(
                        withJSONObject: [
                            "since": body.since.formatted(.iso8601), "until": body.until.formatted(.iso8601),
                            "queued": queued,
                        ], options: [.sortedKeys])),
                on: tenant)
            return queued
        }
        return .accepted(.init(body: .json(.init(queued: queued))))
    }

    // MARK: Helpers

    private func audit(
        _ action: String, _ id: UUID, before: WebhookEndpoint?, after: WebhookEndpoint?, _ principal: Principal,
        _ tenant: TenantConnection
    ) async throws {
        try await AuditLog.record(
            principal.auditEvent(
                action: action, targetType: "webhook_endpoint", targetID: id.uuidString.lowercased(),
                before: before?.auditJSON, after: after?.auditJSON),
            on: tenant)
    }

    private static func endpointID(_ text: String) throws(Problem) -> UUID {
        guard let id = UUID(uuidString: text) else { throw Problem.notFound("webhook endpoint", text) }
        return id
    }

    /// The endpoint, which must be enabled to be replayed to (else a 409).
    private static func requireEnabled(_ id: UUID, _ text: String, on tenant: TenantConnection) async throws
        -> WebhookEndpoint
    {
        let endpoint = try await require(id, text, on: tenant)
        guard endpoint.state == "enabled" else {
            throw Problem.conflict("The endpoint is disabled; enable it before replaying to it.")
        }
        return endpoint
    }

    private static func require(_ id: UUID, _ text: String, lock: Bool = false, on tenant: TenantConnection)
        async throws -> WebhookEndpoint
    {
        guard let endpoint = try await WebhookStore.find(id, lock: lock, on: tenant) else {
            throw Problem.notFound("webhook endpoint", text)
        }
        return endpoint
    }
}
