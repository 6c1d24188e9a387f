import ItineraAPI

/// The operations `WebhookController` answers.
extension APIService {
    func listWebhookEndpoints(_ input: Operations.ListWebhookEndpoints.Input) async throws
        -> Operations.ListWebhookEndpoints.Output
    { try await controllers(WebhookController.self).listWebhookEndpoints(input) }

    func createWebhookEndpoint(_ input: Operations.CreateWebhookEndpoint.Input) async throws
        -> Operations.CreateWebhookEndpoint.Output
    { try await controllers(WebhookController.self).createWebhookEndpoint(input) }

    func getWebhookEndpoint(_ input: Operations.GetWebhookEndpoint.Input) async throws
        -> Operations.GetWebhookEndpoint.Output
    { try await controllers(WebhookController.self).getWebhookEndpoint(input) }

    func updateWebhookEndpoint(_ input: Operations.UpdateWebhookEndpoint.Input) async throws
        -> Operations.UpdateWebhookEndpoint.Output
    { try await controllers(WebhookController.self).updateWebhookEndpoint(input) }

    func deleteWebhookEndpoint(_ input: Operations.DeleteWebhookEndpoint.Input) async throws
        -> Operations.DeleteWebhookEndpoint.Output
    { try await controllers(WebhookController.self).deleteWebhookEndpoint(input) }

    func rotateWebhookSecret(_ input: Operations.RotateWebhookSecret.Input) async throws
        -> Operations.RotateWebhookSecret.Output
    { try await controllers(WebhookController.self).rotateWebhookSecret(input) }

    func listWebhookDeliveries(_ input: Operations.ListWebhookDeliveries.Input) async throws
        -> Operations.ListWebhookDeliveries.Output
    { try await controllers(WebhookController.self).listWebhookDeliveries(input) }

    func replayWebhookDelivery(_ input: Operations.ReplayWebhookDelivery.Input) async throws
        -> Operations.ReplayWebhookDelivery.Output
    { try await controllers(WebhookController.self).replayWebhookDelivery(input) }

    func replayWebhookEvents(_ input: Operations.ReplayWebhookEvents.Input) async throws
        -> Operations.ReplayWebhookEvents.Output
    { try await controllers(WebhookController.self).replayWebhookEvents(input) }
}
