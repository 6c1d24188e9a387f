import Foundation

/// Opening a complaint, whoever opens it (an agent, a partner, a detractor's answer): the complaint
/// with its `opened` history, the check of its first response at the due time, and
/// `ComplaintOpened`, all in the caller's transaction.
enum ComplaintOpening {
    /// The complaint opened at `at`; nil when the customer does not exist (or is erased) or the
    /// order is not theirs.
    static func open(_ draft: ComplaintInput.Draft, actor: String, at: Date, in context: EventContext) async throws
        -> Complaint?
    {
        guard
            let made = try await ComplaintStore.open(
                customer: draft.customer, order: draft.order, channel: draft.channel, category: draft.category,
                severity: draft.severity, summary: draft.summary, assignee: draft.assignee, actor: actor, at: at,
                on: context.connection)
        else { return nil }
        try await JobStore.queue(
            ComplaintCheckJob.kind, subject: "complaint", id: made.id, runAfter: made.firstResponseDueAt,
            createdBy: "care", on: context.connection)
        try await context.publish(ComplaintOpened(complaint: made))
        return made
    }
}
