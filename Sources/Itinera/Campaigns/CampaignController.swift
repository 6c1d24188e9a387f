import Foundation
import ItineraAPI
import Logging

/// Win-back campaigns: `/v1/campaigns/…`.
struct CampaignController: Sendable {
    let access: AccessControl
    let events: DomainEvents
    let logger: Logger

    func listCampaigns(_ input: Operations.ListCampaigns.Input) async throws -> Operations.ListCampaigns.Output {
        let page = try PageRequest(limit: input.query.limit, cursor: input.query.cursor)
        let after = try page.afterID()
        let found = try await access.inTenant { tenant, _ in
            try await CampaignStore.list(after: after, limit: page.limit + 1, on: tenant)
        }
        let (shown, next) = page.split(found) { PageRequest.cursor([String($0.id)]) }
        return .ok(.init(body: .json(.init(items: shown.map(\.api), nextCursor: next))))
    }

    func createCampaign(_ input: Operations.CreateCampaign.Input) async throws -> Operations.CreateCampaign.Output {
        guard case .json(let body) = input.body else { throw Problem.malformedBody("Expected a JSON body.") }
        let draft = try CampaignInput.campaign(body)
        let campaign = try await access.inTenant { tenant, principal in
            guard let template = try await MessageTemplateStore.find(draft.template, on: tenant) else {
                throw Problem.notFound("message template", draft.template, field: "template")
            }
            guard template.channel == draft.channel, template.purpose == "marketing" else {
                throw Problem.invalidField(
                    "template",
                    "Template '\(draft.template)' sends \(template.purpose) messages by \(template.channel); the campaign sends marketing by \(draft.channel)."
                )
            }
            if let offer = draft.offerID, try await OfferStore.find(offer, on: tenant) == nil {
                throw Problem.notFound("offer", String(offer), field: "offer.offer_id")
            }
            let made = try await CampaignStore.insert(draft, on: tenant)
            try await AuditLog.record(
                principal.auditEvent(
                    action: "campaign.create", targetType: "campaign", targetID: String(made.id), before: nil,
                    after: made.auditJSON),
                on: tenant)
            return made
        }
        return .created(.init(body: .json(campaign.api)))
    }

    func getCampaign(_ input: Operations.GetCampaign.Input) async throws -> Operations.GetCampaign.Output {
        let id = try Problem.pathID(input.path.id, of: "campaign")
        let campaign = try await access.inTenant { tenant, _ in try await Self.require(id, on: tenant) }
        return .ok(.init(body: .json(campaign.api)))
    }

    func previewCampaign(_ input: Operations.PreviewCampaign.Input) async throws -> Operations.PreviewCampaign.Output {
        let id = try Problem.pathID(input.path.id, of: "campaign")
        let preview = try await access.inTenant { tenant, _ in
            _ = try await Self.require(id, on: tenant)
            return try await CampaignStore.preview(id, sample: 20, on: tenant)
        }
        return .ok(
            .init(
                body: .json(
                    .init(
                        audience: preview.audience, sample: preview.sample.map(String.init),
                        excluded: .init(
                            noConsent: preview.noConsent, coolDown: preview.coolDown,
                            holdoutHistory: preview.holdoutHistory)))))
    }

    /// Snapshots and splits the audience once, and queues the send to the treated: a second launch
    /// answers the campaign as it is.
    func launchCampaign(_ input: Operations.LaunchCampaign.Input) async throws -> Operations.LaunchCampaign.Output {
        let id = try Problem.pathID(input.path.id, of: "campaign")
        let campaign = try await access.inTenant { tenant, principal in
            let before = try await Self.require(id, lock: true, on: tenant)
            guard before.launchedAt == nil else { return before }
            guard ["draft", "scheduled"].contains(before.state) else {
                throw Problem.conflict("Campaign \(id) is \(before.state); it cannot be launched.", field: "state")
            }
            try await Self.checkGift(before, on: tenant)
            let (treated, holdout) = try await CampaignStore.launch(id, on: tenant)
            let after = try await Self.require(id, on: tenant)
            try await AuditLog.record(
                principal.auditEvent(
                    action: "campaign.launch", targetType: "campaign", targetID: String(id), before: before.auditJSON,
                    after: try? JSONSerialization.data(
                        withJSONObject: ["treated": treated, "holdout": holdout], options: [.sortedKeys])),
                on: tenant)
            try await Self.started(
                after, action: "launched", treated: treated, holdout: holdout, tenant: tenant,
                context: EventContext(connection: tenant, tenant: principal.tenant, events: events), logger: logger)
            return after
        }
        return .ok(.init(body: .json(campaign.api)))
    }

    /// A campaign that (re)starts sending: its `CampaignChanged`, and the send job queued in the same
    /// transaction when there is anyone to send to.
    static func started(
        _ campaign: Campaign, action: String, treated: Int, holdout: Int, tenant: TenantConnection,
        context: EventContext, logger: Logger
    ) async throws {
        try await context.publish(
            CampaignChanged(campaign: campaign, action: action, treated: treated, holdout: holdout))
        guard action != "launched" && action != "rerun" || treated > 0 else { return }
        _ = try await JobStore.enqueue(
            JobRequest(
                kind: CampaignSendJob.kind, payload: #"{"campaign":\#(campaign.id)}"#,
                dedupeKey: "campaign:\(campaign.id)", createdBy: "campaign", maxAttempts: 10),
            tenant: context.tenant.id, on: try await TenantTransaction.leave(tenant), logger: logger)
    }

    /// The campaign's offer must still give codes when it is sent.
    static func checkGift(_ campaign: Campaign, on tenant: TenantConnection) async throws {
        guard let offerID = campaign.offerID else { return }
        guard let offer = try await OfferStore.find(offerID, on: tenant) else {
            throw Problem.notFound("offer", String(offerID), field: "offer.offer_id")
        }
        guard offer.state == "active", offer.validUntil > Date() else {
            throw Problem.invalidField(
                "offer.offer_id", "Offer \(offerID) is retired or expired; the campaign would send no code.")
        }
    }

    func pauseCampaign(_ input: Operations.PauseCampaign.Input) async throws -> Operations.PauseCampaign.Output {
        .ok(.init(body: .json(try await move(input.path.id, to: "paused", from: ["running"]).api)))
    }

    func resumeCampaign(_ input: Operations.ResumeCampaign.Input) async throws -> Operations.ResumeCampaign.Output {
        .ok(.init(body: .json(try await move(input.path.id, to: "running", from: ["paused"]).api)))
    }

    func cancelCampaign(_ input: Operations.CancelCampaign.Input) async throws -> Operations.CancelCampaign.Output {
        .ok(
            .init(
                body: .json(
                    try await move(input.path.id, to: "cancelled", from: ["draft", "scheduled", "running", "paused"])
                        .api
                )))
    }

    func getCampaignResults(_ input: Operations.GetCampaignResults.Input) async throws
        -> Operations.GetCampaignResults.Output
    {
        let id = try Problem.pathID(input.path.id, of: "campaign")
        let groups = try await access.inTenant { tenant, _ in
            try await CampaignStore.results(try await Self.require(id, on: tenant), on: tenant)
        }
        let empty = { (name: String) in
            CampaignGroupResult(
                group: name, recipients: 0, sent: 0, delivered: 0, clicked: 0, redeemed: 0, recovered: 0,
                revenueMinor: 0)
        }
        let treated = groups.first { $0.group == "treated" } ?? empty("treated")
        let holdout = groups.first { $0.group == "holdout" } ?? empty("holdout")
        let uplift = Uplift(treated: treated, holdout: holdout)
        return .ok(
            .init(
                body: .json(
                    .init(
                        treated: treated.api, holdout: holdout.api,
                        uplift: uplift.map { .init(value: $0.value, lower: $0.lower, upper: $0.upper) },
                        verdict: uplift?.verdict ?? "No results yet: the campaign has not been launched."))))
    }

    /// Moves the campaign to `state` from one of `from`, audited and published; a resumed campaign
    /// goes on sending.
    private func move(_ text: String, to state: String, from: Set<String>) async throws -> Campaign {
        let id = try Problem.pathID(text, of: "campaign")
        return try await access.inTenant { tenant, principal in
            let before = try await Self.require(id, lock: true, on: tenant)
            guard before.state != state else { return before }
            guard from.contains(before.state) else {
                throw Problem.conflict("Campaign \(id) is \(before.state); it cannot become \(state).", field: "state")
            }
            guard let after = try await CampaignStore.setState(id, to: state, on: tenant) else {
                throw Problem.notFound("campaign", text)
            }
            let action = state == "running" ? "resumed" : state
            try await AuditLog.record(
                principal.auditEvent(
                    action: "campaign.\(state == "running" ? "resume" : state == "paused" ? "pause" : "cancel")",
                    targetType: "campaign", targetID: String(id), before: before.auditJSON, after: after.auditJSON),
                on: tenant)
            let context = EventContext(connection: tenant, tenant: principal.tenant, events: events)
            if state == "running" {
                try await Self.started(
                    after, action: action, treated: 0, holdout: 0, tenant: tenant, context: context, logger: logger)
            } else {
                try await context.publish(CampaignChanged(campaign: after, action: action))
            }
            return after
        }
    }

    static func require(_ id: Int64, lock: Bool = false, on tenant: TenantConnection) async throws -> Campaign {
        guard let campaign = try await CampaignStore.find(id, lock: lock, on: tenant) else {
            throw Problem.notFound("campaign", String(id))
        }
        return campaign
    }
}
