import Foundation

/// What happens when a campaign runs, whether an admin launched it or its schedule came due: the
/// first run snapshots and splits the audience and starts the send; a recurring campaign runs again
/// every `every_days` for customers who newly lapsed; a campaign run once completes when its
/// attribution window ends. Each run queues the next (`campaign.run`, due at `next_run_at`).
enum CampaignRuns {
    /// The first run: snapshot, `campaign.launched`, the send queued, and the next run (a rerun, or
    /// the completion) scheduled. Answers the campaign after it and the counts entered.
    static func start(_ campaign: Campaign, context: EventContext) async throws
        -> (campaign: Campaign, treated: Int, holdout: Int)
    {
        let tenant = context.connection
        let rule = try await CampaignController.rule(of: campaign, on: tenant)
        let (treated, holdout) = try await CampaignStore.snapshot(campaign, rule: rule, on: tenant)
        try await scheduleNext(campaign, on: tenant)
        let after = try await CampaignController.require(campaign.id, on: tenant)
        try await sending(after, action: "launched", treated: treated, holdout: holdout, context: context)
        return (after, treated, holdout)
    }

    /// A recurring campaign's later run: those who newly lapsed enter (a paused campaign enters
    /// nobody until resumed), and the run after is scheduled.
    static func rerun(_ campaign: Campaign, context: EventContext) async throws {
        let tenant = context.connection
        try await scheduleNext(campaign, on: tenant)
        guard campaign.state == "running" else { return }
        let rule = try await CampaignController.rule(of: campaign, on: tenant)
        let (treated, holdout) = try await CampaignStore.snapshot(campaign, rule: rule, on: tenant)
        let after = try await CampaignController.require(campaign.id, on: tenant)
        try await sending(after, action: "rerun", treated: treated, holdout: holdout, context: context)
    }

    /// A campaign run once completes when its attribution window has ended.
    static func complete(_ campaign: Campaign, context: EventContext) async throws {
        guard let after = try await CampaignStore.setState(campaign.id, to: "completed", on: context.connection)
        else { return }
        try await context.publish(CampaignChanged(campaign: after, action: "completed"))
    }

    /// The campaign's `CampaignChanged`, and its send queued in the same transaction when there is
    /// anyone to send to (always on a resume, which goes on where the send stopped).
    static func sending(_ campaign: Campaign, action: String, treated: Int, holdout: Int, context: EventContext)
        async throws
    {
        try await context.publish(
            CampaignChanged(campaign: campaign, action: action, treated: treated, holdout: holdout))
        guard action == "resumed" || treated > 0 else { return }
        try await JobStore.queue(
            CampaignSendJob.kind, subject: "campaign", id: campaign.id, createdBy: "campaigns", on: context.connection)
    }

    /// Schedules the run after this one: a rerun after `every_days`, or the completion after the
    /// attribution window.
    static func scheduleNext(_ campaign: Campaign, on tenant: TenantConnection) async throws {
        let days = campaign.schedule == "recurring" ? campaign.everyDays : campaign.attributionDays
        let due = try await CampaignStore.scheduleNextRun(campaign.id, inDays: days, on: tenant)
        try await JobStore.queue(
            CampaignRunJob.kind, subject: "campaign", id: campaign.id, runAfter: due, createdBy: "campaigns", on: tenant
        )
    }

    /// A launch with `start_at` in the future: the campaign waits, `scheduled`, for its first run.
    static func schedule(_ campaign: Campaign, at start: Date, context: EventContext) async throws -> Campaign {
        let tenant = context.connection
        let due = try await CampaignStore.scheduleNextRun(campaign.id, inDays: nil, at: start, on: tenant)
        try await JobStore.queue(
            CampaignRunJob.kind, subject: "campaign", id: campaign.id, runAfter: due, createdBy: "campaigns", on: tenant
        )
        let after = try await CampaignController.require(campaign.id, on: tenant)
        try await context.publish(CampaignChanged(campaign: after, action: "scheduled"))
        return after
    }
}

/// Runs a campaign whose `next_run_at` has come (`campaign.run`, queued by the run before): a
/// scheduled campaign starts, a recurring one runs again, one run once completes. A job that finds
/// the campaign not due (rescheduled, cancelled, or run by a twin job) does nothing.
struct CampaignRunJob: JobHandler {
    static let kind = "campaign.run"
    var kind: String { Self.kind }
    let events: DomainEvents

    func run(_ job: Job, in run: JobRun) async throws -> JobOutcome {
        guard let data = job.payload.data(using: .utf8),
            let payload = try? JSONDecoder().decode([String: Int64].self, from: data), let id = payload["campaign"]
        else { return .failed(reason: "the job names no campaign") }
        let done = try await run.inTenant { tenant -> String in
            guard let campaign = try await CampaignStore.find(id, lock: true, on: tenant),
                let due = campaign.nextRunAt, due <= Date().addingTimeInterval(5)
            else { return "not due" }
            let context = EventContext(connection: tenant, tenant: run.tenant, events: events)
            if campaign.state == "scheduled" {
                _ = try await CampaignRuns.start(campaign, context: context)
                return "launched"
            }
            guard ["running", "paused"].contains(campaign.state) else { return "nothing to do" }
            if campaign.schedule == "recurring" {
                try await CampaignRuns.rerun(campaign, context: context)
                return "rerun"
            }
            try await CampaignRuns.complete(campaign, context: context)
            return "completed"
        }
        return .succeeded(result: #"{"run":"\#(done)"}"#)
    }
}
