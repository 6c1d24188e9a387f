/// What care does when customers and orders change: a merge moves the merged customer's complaints
/// and NPS answers to the survivor; an erasure removes what the customer said and wrote, keeping the
/// times and scores for the figures; an order with travel dates gets its trip's touchpoints, and a
/// cancelled one loses those still pending; a due touchpoint or risk-alert booking records the
/// message queued for it.
enum Care {
    static func react(to events: inout DomainEvents) {
        events.on(CustomersMerged.self) { event, context in
            try await ComplaintStore.move(customer: event.merged, to: event.survivor, on: context.connection)
            try await NPSStore.move(customer: event.merged, to: event.survivor, on: context.connection)
        }
        events.on(CustomerErased.self) { event, context in
            try await ComplaintStore.erase(customer: event.customerID, on: context.connection)
            try await NPSStore.erase(customer: event.customerID, on: context.connection)
        }
        events.on(OrderRecorded.self) { event, context in
            try TouchpointStore.schedule(event.order, tenant: context.tenant, on: context.connection)
        }
        events.on(OrderCancelled.self) { event, context in
            try TouchpointStore.withdraw(order: event.order.id, on: context.connection)
        }
        events.on(ReferencedMessageQueued.self) { event, context in
            let parts = event.reference.split(separator: ":")
            switch (parts.first, parts.count) {
            case ("touchpoint", 2):
                guard let id = Int64(parts[1]) else { return }
                try await TouchpointStore.settle(
                    id, state: event.messageID == nil ? .skipped : .sent, reason: event.refusal,
                    message: event.messageID, on: context.connection)
            case ("risk_alert", 3):
                guard let alert = Int64(parts[1]), let order = Int64(parts[2]) else { return }
                try await RiskAlertStore.settle(
                    alert: alert, order: order, message: event.messageID, channel: event.channel,
                    reason: event.refusal, zone: context.tenant.timezone, on: context.connection)
            default: return
            }
        }
    }
}
