import Foundation

/// What happens to an endpoint outside an admin's request: the server disables it.
enum WebhookEndpoints {
    /// Disables the endpoint for `reason` (a `410 Gone`, five days of failures), in the caller's tenant
    /// transaction, and tells the tenant: a `webhook_endpoint.disabled` event in the outbox (for its
    /// other endpoints) and an entry in the audit trail by the system.
    static func disable(
        _ id: UUID, reason: String, tenantID: UUID, maxAttempts: Int, on tenant: TenantConnection
    ) async throws {
        guard let endpoint = try await WebhookStore.disable(id, reason: reason, on: tenant) else { return }
        let data = try OutboxEvent.object([
            "endpoint_id": id.uuidString.lowercased(), "url": endpoint.url, "reason": reason,
        ])
        try OutboxStore.append(
            [
                OutboxEvent(
                    type: "webhook_endpoint.disabled", entityType: "webhook_endpoint",
                    entityID: id.uuidString.lowercased(),
                    orderingKey: "webhook_endpoint:\(id.uuidString.lowercased())", data: data)
            ], tenant: tenantID, maxAttempts: maxAttempts, on: tenant)
        var before = endpoint
        before.state = "enabled"
        before.disabledReason = nil
        try await AuditLog.record(
            AuditEvent(
                actorType: "system", actorID: nil, action: "webhook_endpoint.disable", targetType: "webhook_endpoint",
                targetID: id.uuidString.lowercased(), before: before.auditJSON, after: endpoint.auditJSON),
            on: tenant)
    }
}
