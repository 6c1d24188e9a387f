import Foundation

/// What messages do when customers and the community change: a merge moves the merged customer's
/// messages to the survivor, an erasure removes their addresses and text; a customer promoted from
/// an event's waiting list, and everyone registered for an event that is cancelled, is told with the
/// tenant's `event-promoted` and `event-cancelled` templates (when the tenant has them, and the
/// customer's consent allows).
enum Messages {
    static func react(to events: inout DomainEvents, attempts: Int) {
        events.on(CustomersMerged.self) { event, context in
            try await MessageStore.move(customer: event.merged, to: event.survivor, on: context.connection)
        }
        events.on(CustomerErased.self) { event, context in
            try await MessageStore.erase(customer: event.customerID, on: context.connection)
        }
        events.on(RegistrationPromoted.self) { event, context in
            try await notify(
                "event-promoted", customers: [event.registration.customerID], about: event.event, context,
                attempts: attempts)
        }
        events.on(EventCancelled.self) { event, context in
            try await notify(
                "event-cancelled", customers: event.customers, about: event.event, context, attempts: attempts)
        }
        events.on(CampaignMessageDue.self) { event, context in
            try await send(event, context, attempts: attempts)
        }
        events.on(TouchpointDue.self) { event, context in
            let (message, refusal) = try await send(event, context, attempts: attempts)
            try await context.publish(
                ReferencedMessageQueued(reference: event.reference, messageID: message, refusal: refusal))
        }
        events.on(RiskAlertDue.self) { event, context in
            try await context.publish(try await warn(event, context, attempts: attempts))
        }
    }

    /// Renders `template` for `customer` with `variables` and `extra`, and queues it with the job that
    /// sends it under the customer's consent (`MessageStore.queue`), from `source` under `reference`.
    static func queue(
        _ template: MessageTemplate, to customer: Int64, variables: String, extra: [String: Any], source: String,
        reference: String, attempts: Int, _ context: EventContext
    ) async throws -> Result<Message, MessageStore.Refusal> {
        let (subject, text) = try MessageRenderer.render(
            template, variables: variables, offer: nil, orderAsked: false, extra: extra)
        return try await MessageStore.queue(
            MessageDraft(
                customerID: customer, channel: template.channel, purpose: template.purpose, template: template.name,
                source: source, sourceRef: reference, subject: subject.map { String($0.prefix(400)) },
                body: String(text.prefix(20_000)), links: MessageLinks.extract(text)),
            attempts: attempts, on: context.connection)
    }

    /// `date` as `YYYY-MM-DD HH:MM` on the clock of `zone`.
    static func localTime(_ date: Date, _ zone: TimeZone) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = zone
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return formatter.string(from: date)
    }

    /// Queues the first of a risk alert's templates the traveller can be reached by; answers the
    /// message, or the refusal of the last template tried.
    static func warn(_ event: RiskAlertDue, _ context: EventContext, attempts: Int) async throws
        -> ReferencedMessageQueued
    {
        let alert = event.alert
        let zone = context.tenant.timeZone
        let extra: [String: Any] = [
            "alert": [
                "id": String(alert.id), "destination": alert.destination, "severity": alert.severity,
                "message": alert.message, "starts_at": localTime(alert.startsAt, zone),
                "ends_at": localTime(alert.endsAt, zone),
            ]
        ]
        var refusal = "no_template"
        for name in alert.templates {
            guard let template = try await MessageTemplateStore.find(name, on: context.connection) else { continue }
            guard
                let variables = try await MessageTemplateStore.variables(
                    customer: event.booking.customerID, order: event.booking.orderID, offer: alert.offerID,
                    on: context.connection)
            else { return ReferencedMessageQueued(reference: event.reference, messageID: nil, refusal: "no_customer") }
            let queued = try await queue(
                template, to: event.booking.customerID, variables: variables, extra: extra, source: "risk_alert",
                reference: event.reference, attempts: attempts, context)
            switch queued {
            case .success(let message):
                return ReferencedMessageQueued(
                    reference: event.reference, messageID: message.id, channel: template.channel, refusal: nil)
            case .failure(let reason): refusal = reason.code
            }
        }
        return ReferencedMessageQueued(reference: event.reference, messageID: nil, refusal: refusal)
    }

    /// Queues a trip touchpoint's template to the order's customer, rendered with the order (`order`,
    /// `trip`), the touchpoint's phase (`touchpoint.phase`, `touchpoint.rule`) and the order's survey
    /// link (`survey.url`); answers the message, or why there is none.
    static func send(_ event: TouchpointDue, _ context: EventContext, attempts: Int) async throws -> (Int64?, String?) {
        let touchpoint = event.touchpoint
        guard let template = try await MessageTemplateStore.find(touchpoint.template, on: context.connection),
            template.channel == touchpoint.channel
        else { return (nil, "no_template") }
        guard
            let variables = try await MessageTemplateStore.variables(
                customer: touchpoint.customerID, order: touchpoint.orderID, on: context.connection)
        else { return (nil, "no_customer") }
        let extra: [String: Any] = [
            "touchpoint": ["phase": touchpoint.phase.rawValue, "rule": touchpoint.rule],
            "survey": ["url": event.surveyURL ?? ""],
        ]
        let queued = try await queue(
            template, to: touchpoint.customerID, variables: variables, extra: extra, source: "touchpoint",
            reference: event.reference, attempts: attempts, context)
        switch queued {
        case .success(let message): return (message.id, nil)
        case .failure(let refusal): return (nil, refusal.code)
        }
    }

    /// Queues a campaign's template to its recipient, rendered with their last trip (`trip`, with
    /// the order's id for a link to its memories), their offer code (`offer`) or the described gift
    /// (`gift`), and the campaign (`campaign.name`). A template removed since, or renamed to another
    /// channel, sends nothing; so does a missing consent or address (the recipient stays uncontacted
    /// by a message, and is counted so).
    static func send(_ event: CampaignMessageDue, _ context: EventContext, attempts: Int) async throws {
        let campaign = event.campaign
        guard let template = try await MessageTemplateStore.find(campaign.template, on: context.connection),
            template.channel == campaign.channel,
            let variables = try await MessageTemplateStore.variables(
                customer: event.customerID, order: event.lastOrderID, offer: campaign.offerID,
                on: context.connection)
        else { return }
        let extra: [String: Any] = ["gift": campaign.gift ?? "", "campaign": ["name": campaign.name]]
        _ = try await queue(
            template, to: event.customerID, variables: variables, extra: extra, source: "campaign",
            reference: event.reference, attempts: attempts, context)
    }

    /// Queues the tenant's template `name` to each customer, with `event` among its variables;
    /// customers without consent or an address on its channel are passed over (the template's
    /// absence sends nothing).
    static func notify(
        _ name: String, customers: [Int64], about event: CommunityEvent, _ context: EventContext, attempts: Int
    ) async throws {
        guard !customers.isEmpty,
            let template = try await MessageTemplateStore.find(name, on: context.connection)
        else { return }
        let zone = context.tenant.timeZone
        let values: [String: Any] = [
            "event": [
                "id": String(event.id), "title": event.title, "kind": event.kind.rawValue,
                "starts_at": localTime(event.startsAt, zone), "ends_at": localTime(event.endsAt, zone),
                "location": event.location ?? "", "online_url": event.onlineURL ?? "",
                "reason": event.cancelledReason ?? "",
            ]
        ]
        for customer in customers {
            guard
                let variables = try await MessageTemplateStore.variables(
                    customer: customer, order: nil, on: context.connection)
            else { continue }
            let (subject, text) = try MessageRenderer.render(
                template, variables: variables, offer: nil, orderAsked: false, extra: values)
            _ = try await MessageStore.queue(
                MessageDraft(
                    customerID: customer, channel: template.channel, purpose: template.purpose, template: name,
                    source: "community", sourceRef: "event:\(event.id)", subject: subject, body: text,
                    links: MessageLinks.extract(text)),
                attempts: attempts, on: context.connection)
        }
    }
}
