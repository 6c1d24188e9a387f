import Foundation

/// The outbox's reactions: every domain event the capabilities publish is appended, in the
/// publisher's transaction, as the event partners receive (`docs/webhooks.md` lists them).
enum Outbox {
    static func react(to events: inout DomainEvents, settings: WebhookSettings) {
        let attempts = settings.maxAttempts
        @Sendable func append(_ outbox: [OutboxEvent], _ context: EventContext) throws {
            try OutboxStore.append(outbox, tenant: context.tenant.id, maxAttempts: attempts, on: context.connection)
        }
        reactToCommunity(&events, append: append)
        reactToCare(&events, append: append)
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
            try append(
                [
                    customerEvent(
                        "customer.merged", event.survivor,
                        data: ["survivor_id": String(event.survivor), "merged_id": String(event.merged)])
                ], context)
        }
        events.on(UnsubscribeRequested.self) { event, context in
            try append(
                [
                    customerEvent(
                        "customer.unsubscribed", event.customerID,
                        data: [
                            "id": String(event.customerID), "channel": event.channel, "purpose": event.purpose,
                            "message_id": String(event.messageID),
                        ])
                ], context)
        }
        events.on(MemberEnrolled.self) { event, context in
            let member = event.member
            let data = try OutboxEvent.object([
                "id": String(member.id), "program_id": String(member.programID),
                "customer_id": String(member.customerID), "card_number": member.cardNumber, "source": event.source,
                "order_id": event.order.map(String.init),
            ])
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
                        data: try OutboxEvent.object([
                            "member_id": String(move.member), "program_id": String(move.program),
                            "customer_id": String(move.customer), "points": move.points,
                            "balance_after": move.balanceAfter, "order_id": event.order.map(String.init),
                            "reason": event.reason,
                        ]))
                }, context)
        }
        events.on(TierChanged.self) { event, context in
            try append(
                try event.changes.map { change in
                    OutboxEvent(
                        type: "member.tier_changed", entityType: "member", entityID: String(change.member),
                        orderingKey: OutboxEvent.customerKey(change.customer),
                        data: try OutboxEvent.object([
                            "program_id": String(event.program), "member_id": String(change.member),
                            "from_tier": change.from, "to_tier": change.to, "source": event.source,
                            "order_id": event.order.map(String.init),
                        ]))
                }, context)
        }
    }

    private static func customerEvent(_ type: String, _ id: Int64, data: KeyValuePairs<String, (any Sendable)?>)
        throws -> OutboxEvent
    {
        OutboxEvent(
            type: type, entityType: "customer", entityID: String(id), orderingKey: OutboxEvent.customerKey(id),
            data: try OutboxEvent.object(data))
    }

    private static func orderEvent(_ type: String, _ order: Order) throws -> OutboxEvent {
        OutboxEvent(
            type: type, entityType: "order", entityID: String(order.id),
            orderingKey: OutboxEvent.customerKey(order.customerID), data: try OutboxEvent.json(order.api))
    }
}
