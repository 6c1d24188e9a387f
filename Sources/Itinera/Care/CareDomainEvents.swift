import Foundation

/// A complaint was opened.
struct ComplaintOpened: DomainEvent {
    let complaint: Complaint
}

/// A complaint changed state.
struct ComplaintChanged: DomainEvent {
    let complaint: Complaint
    let from: Complaint.State
}

/// A complaint's first response (`first_response`) or resolution (`resolution`) became late.
struct ComplaintBreached: DomainEvent {
    let complaint: Complaint
    let kind: String
    let dueAt: Date
}

/// A trip touchpoint is due: the messages capability renders its template for the order's customer
/// and queues it (consent, address and the template permitting) under the reference
/// `touchpoint:<id>`, and answers with `ReferencedMessageQueued`.
struct TouchpointDue: DomainEvent {
    let touchpoint: Touchpoint
    /// The signed link to the order's survey, for a template's `survey.url`.
    var surveyURL: String?

    var reference: String { "touchpoint:\(touchpoint.id)" }
}

/// A traveller with a booking a risk alert affects is due their warning: the messages capability
/// queues the first of the alert's templates they can be reached by, rendered with the alert
/// (`alert.*`), the booking (`order.*`) and the alert's offer (`offer.*`), under the reference
/// `risk_alert:<alert id>:<order id>`, and answers with `ReferencedMessageQueued`.
struct RiskAlertDue: DomainEvent {
    let alert: RiskAlert
    let booking: RiskAlertBooking

    var reference: String { "risk_alert:\(alert.id):\(booking.orderID)" }
}

/// A risk alert was issued (`issued`, with the bookings it found) or everyone it found was told or
/// found unreachable (`completed`, with the report).
struct RiskAlertChanged: DomainEvent {
    let alert: RiskAlert
    let action: String
    var report: RiskAlertReport?
}

/// A customer answered the NPS question (and, a detractor, may have a complaint opened for them).
struct NPSAnswered: DomainEvent {
    let response: NPSResponse
}
