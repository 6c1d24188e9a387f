import Foundation

/// Recording an NPS answer, from a partner or a survey link: the answer, the complaint a
/// detractor's answer opens when the tenant wants one (`care_settings`), and `NPSAnswered`, in the
/// caller's transaction.
enum NPSAnswering {
    struct Answer: Sendable {
        var customer: Int64
        var order: Int64?
        var score: Int
        var comment: String?
        var stage: String
        var source: String
    }

    static func record(_ answer: Answer, at: Date, in context: EventContext) async throws
        -> Result<NPSResponse, NPSStore.Refusal>
    {
        let recorded = try await NPSStore.record(
            customer: answer.customer, order: answer.order, score: answer.score, comment: answer.comment,
            stage: answer.stage, source: answer.source, at: at, on: context.connection)
        guard case .success(var response) = recorded else { return recorded }
        if NPSResponse.isDetractor(answer.score) {
            let settings = try await NPSStore.detractorComplaints(on: context.connection)
            if settings.open {
                let summary =
                    "NPS \(answer.score) of 10 (\(answer.stage)-trip)" + (answer.comment.map { ": \($0)" } ?? ".")
                let draft = ComplaintInput.Draft(
                    customer: answer.customer, order: answer.order,
                    channel: answer.source == "link" ? "web" : "partner",
                    category: "nps", severity: settings.severity, summary: String(summary.prefix(5000)), assignee: nil)
                if let complaint = try await ComplaintOpening.open(draft, actor: "system:nps", at: at, in: context) {
                    try await NPSStore.link(response.id, complaint: complaint.id, on: context.connection)
                    response.complaintID = complaint.id
                }
            }
        }
        try await context.publish(NPSAnswered(response: response))
        return .success(response)
    }
}
