import ItineraAPI

extension WebhookEndpoint {
    var api: Components.Schemas.WebhookEndpoint {
        Components.Schemas.WebhookEndpoint(
            id: id.uuidString.lowercased(), url: url, description: description, eventTypes: eventTypes,
            state: state == "enabled" ? .enabled : .disabled, disabledReason: disabledReason,
            failingSince: failingSince, previousSecretExpiresAt: previousSecretExpiresAt, createdAt: createdAt)
    }
}

extension WebhookDelivery {
    var api: Components.Schemas.WebhookDelivery {
        Components.Schemas.WebhookDelivery(
            id: id.uuidString.lowercased(), endpointId: endpointID.uuidString.lowercased(),
            eventId: eventID.uuidString.lowercased(), eventType: eventType,
            state: Components.Schemas.WebhookDeliveryState(rawValue: state) ?? .failed, attempts: attempts,
            lastStatus: lastStatus, lastError: lastError, lastAttemptAt: lastAttemptAt, nextAttemptAt: nextAttemptAt,
            deliveredAt: deliveredAt, replayOf: replayOf?.uuidString.lowercased(), createdAt: createdAt)
    }
}
