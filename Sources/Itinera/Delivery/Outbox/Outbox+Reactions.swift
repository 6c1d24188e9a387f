import Foundation

/// The outbox's reactions: every domain event the capabilities publish is appended, in the
/// publisher's transaction, as the event partners receive (`docs/webhooks.md` lists them).
enum Outbox {
    static func react(to events: inout DomainEvents, settings: WebhookSettings) {
        let attempts = settings.maxAttempts
        @Sendable func append(_ outbox: [OutboxEvent], _ context: EventContext) throws {
            try OutboxStore.append(outbox, tenant: context.tenant.id, maxAttempts: attempts, on: context.connection)
        }
        events.on(OrderRecorded.self) { event, context in
            try append([try orderEvent("order.created", event.order)], context)
        }
        events.on(OrderCancelled.self) { event, context in
            try append([try orderEvent("order.cancelled", event.order)], context)
        }
        events.on(CustomerCreated.self) { event, context in
            try append(
                [
                    customerEvent(
                        "customer.created", event.customerID,
                        data: ["id": String(event.customerID), "source": event.source])
                ], context)
        }
        events.on(CustomerErased.self) { event, context in
            try append(
                [customerEvent("customer.erased", event.customerID, data: ["id": String(event.customerID)])], context)
        }
        events.on(CustomersMerged.self) { event, context in
            let data = try OutboxEvent.json(["survivor_id": String(event.survivor), "merged_id": String(event.merged)])
            try append(
                [
                    OutboxEvent(
                        type: "customer.merged", entityType: "customer", entityID: String(event.survivor),
                        orderingKey: OutboxEvent.customerKey(event.survivor), data: data)
                ], context)
        }
        events.on(MemberEnrolled.self) { event, context in
            let member = event.member
            let data = try OutboxEvent.json(
                MemberData(
                    id: String(member.id), programId: String(member.programID), customerId: String(member.customerID),
                    cardNumber: member.cardNumber, source: event.source, orderId: event.order.map(String.init)))
            try append(
                [
                    OutboxEvent(
                        type: "member.enrolled", entityType: "member", entityID: String(member.id),
                        orderingKey: OutboxEvent.customerKey(member.customerID), data: data)
                ], context)
        }
        events.on(PointsMoved.self) { event, context in
            try append(
                try event.moves.map { move in
                    OutboxEvent(
                        type: "points.\(event.kind.rawValue)", entityType: "member", entityID: String(move.member),
                        orderingKey: OutboxEvent.customerKey(move.customer),
                        data: try OutboxEvent.json(
                            PointsData(
                                memberId: String(move.member), programId: String(move.program),
                                customerId: String(move.customer), points: move.points,
                                balanceAfter: move.balanceAfter, orderId: event.order.map(String.init),
                                reason: event.reason)))
                }, context)
        }
        events.on(TierChanged.self) { event, context in
            try append(
                try event.changes.map { change in
                    OutboxEvent(
                        type: "member.tier_changed", entityType: "member", entityID: String(change.member),
                        orderingKey: OutboxEvent.customerKey(change.customer),
                        data: try OutboxEvent.json(
                            TierChangeData(
                                programId: String(event.program), memberId: String(change.member),
                                fromTier: change.from, toTier: change.to, source: event.source,
                                orderId: event.order.map(String.init))))
                }, context)
        }
    }

    private static func customerEvent(_ type: String, _ id: Int64, data: [String: String]) throws -> OutboxEvent {
        OutboxEvent(
            type: type, entityType: "customer", entityID: String(id), orderingKey: OutboxEvent.customerKey(id),
            data: try OutboxEvent.json(data))
    }

    private static func orderEvent(_ type: String, _ order: Order) throws -> OutboxEvent {
        OutboxEvent(
            type: type, entityType: "order", entityID: String(order.id),
            orderingKey: OutboxEvent.customerKey(order.customerID), data: try OutboxEvent.json(order.api))
    }

    private struct MemberData: Encodable {
        let id, programId, customerId, cardNumber, source: String
        let orderId: String?

        enum CodingKeys: String, CodingKey {
            case id, programId = "program_id", customerId = "customer_id", cardNumber = "card_number", source
            case orderId = "order_id"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(programId, forKey: .programId)
            try container.encode(customerId, forKey: .customerId)
            try container.encode(cardNumber, forKey: .cardNumber)
            try container.encode(source, forKey: .source)
            try container.encode(orderId, forKey: .orderId)
        }
    }

    private struct PointsData: Encodable {
        let memberId, programId, customerId: String
        let points, balanceAfter: Int64
        let orderId, reason: String?

        enum CodingKeys: String, CodingKey {
            case memberId = "member_id", programId = "program_id", customerId = "customer_id", points
            case balanceAfter = "balance_after", orderId = "order_id", reason
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(memberId, forKey: .memberId)
            try container.encode(programId, forKey: .programId)
            try container.encode(customerId, forKey: .customerId)
            try container.encode(points, forKey: .points)
            try container.encode(balanceAfter, forKey: .balanceAfter)
            try container.encode(orderId, forKey: .orderId)
            try container.encode(reason, forKey: .reason)
        }
    }

    private struct TierChangeData: Encodable {
        let programId: String
        let memberId: String
        let fromTier: String?
        let toTier: String?
        let source: String
        let orderId: String?

        enum CodingKeys: String, CodingKey {
            case programId = "program_id", memberId = "member_id", fromTier = "from_tier", toTier = "to_tier"
            case source, orderId = "order_id"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(programId, forKey: .programId)
            try container.encode(memberId, forKey: .memberId)
            try container.encode(fromTier, forKey: .fromTier)
            try container.encode(toTier, forKey: .toTier)
            try container.encode(source, forKey: .source)
            try container.encode(orderId, forKey: .orderId)
        }
    }
}
