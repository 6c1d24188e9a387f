import Foundation

/// Sends a running campaign to its treated recipients (`campaign.send`, queued by the launch and by
/// each resume or rerun): in transactions of `batch` recipients, each marked contacted and its
/// `CampaignMessageDue` published in the same transaction, so that a recipient is passed exactly
/// once even when the job is interrupted and run again. A campaign paused or cancelled stops the job
/// between batches (the campaign's row is read under a share lock, so a pause waits for the batch
/// in flight and the next batch sees it).
struct CampaignSendJob: JobHandler {
    static let kind = "campaign.send"
    var kind: String { Self.kind }
    let events: DomainEvents
    var batch = 200

    func run(_ job: Job, in run: JobRun) async throws -> JobOutcome {
        guard let data = job.payload.data(using: .utf8),
            let payload = try? JSONDecoder().decode([String: Int64].self, from: data), let id = payload["campaign"]
        else { return .failed(reason: "the job names no campaign") }
        let total = try await run.inTenant { try await CampaignStore.remaining(id, on: $0) }
        var passed: Int64 = 0
        var after: Int64 = 0
        var stoppedBy: String?
        while true {
            let step = try await run.inTenant { [after] tenant -> (passed: Int, state: String?, last: Int64) in
                guard let campaign = try await CampaignStore.find(id, share: true, on: tenant) else {
                    return (0, "removed", after)
                }
                guard campaign.state == "running" else { return (0, campaign.state, after) }
                let context = EventContext(connection: tenant, tenant: run.tenant, events: events)
                let due = try await CampaignStore.due(id, after: after, limit: batch, on: tenant)
                for recipient in due where recipient.consents {
                    try await context.publish(
                        CampaignMessageDue(
                            campaign: campaign, customerID: recipient.customerID, lastOrderID: recipient.lastOrderID))
                }
                return (due.count, nil, due.last?.customerID ?? after)
            }
            passed += Int64(step.passed)
            after = step.last
            if let state = step.state { stoppedBy = state }
            if step.passed == 0 { break }
            try await run.progress(done: passed, total: max(total, passed))
        }
        let stopped = stoppedBy.map { #","stopped":"\#($0)""# } ?? ""
        return .succeeded(result: #"{"passed":\#(passed)\#(stopped)}"#)
    }
}
