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

    var reference: String { "touchpoint:\(touchpoint.id)" }
}
