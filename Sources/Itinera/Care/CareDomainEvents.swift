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
