import ItineraAPI

extension MessageTemplate {
    var api: Components.Schemas.MessageTemplate {
        Components.Schemas.MessageTemplate(
            name: name, channel: .init(rawValue: channel) ?? .email, purpose: .init(rawValue: purpose) ?? .service,
            subject: subject, body: body, createdAt: createdAt, updatedAt: updatedAt)
    }
}
