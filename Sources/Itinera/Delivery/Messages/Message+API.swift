import ItineraAPI

extension Message {
    var api: Components.Schemas.Message {
        Components.Schemas.Message(
            id: String(id), customerId: String(customerID), channel: .init(rawValue: channel) ?? .email,
            purpose: .init(rawValue: purpose) ?? .service, template: template, source: source, sourceRef: sourceRef,
            address: address, subject: subject, body: body, links: links, state: .init(rawValue: state) ?? .queued,
            stateReason: stateReason, createdAt: createdAt, sentAt: sentAt, deliveredAt: deliveredAt,
            bouncedAt: bouncedAt, firstClickAt: firstClickAt, clicks: clicks)
    }
}
