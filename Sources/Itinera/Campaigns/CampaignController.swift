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
            _ = try await Self.rule(of: draft, on: tenant)
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
            let campaign = try await Self.require(id, on: tenant)
            return try await CampaignStore.preview(
                id, rule: try await Self.rule(of: campaign, on: tenant), sample: 20, on: tenant)
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

    /// Snapshots and splits the audience once and queues the send to the treated, or, with a start
    /// in the future, schedules the first run: a second launch answers the campaign as it is.
    func launchCampaign(_ input: Operations.LaunchCampaign.Input) async throws -> Operations.LaunchCampaign.Output {
        let id = try Problem.pathID(input.path.id, of: "campaign")
        let campaign = try await access.inTenant { tenant, principal in
            let before = try await Self.require(id, lock: true, on: tenant)
            guard before.state == "draft" else {
                guard before.state != "cancelled" else {
                    throw Problem.conflict("Campaign \(id) is cancelled; it cannot be launched.", field: "state")
                }
                return before
            }
            try await Self.checkGift(before, on: tenant)
            let context = EventContext(connection: tenant, tenant: principal.tenant, events: events)
            if let start = before.startAt, start > Date() {
                _ = try await Self.rule(of: before, on: tenant)
                let after = try await CampaignRuns.schedule(before, at: start, context: context)
                try await AuditLog.record(
                    principal.auditEvent(
                        action: "campaign.schedule", targetType: "campaign", targetID: String(id),
                        before: before.auditJSON, after: after.auditJSON),
                    on: tenant)
                return after
            }
            let (after, treated, holdout) = try await CampaignRuns.start(before, context: context)
            try await AuditLog.record(
                principal.auditEvent(
                    action: "campaign.launch", targetType: "campaign", targetID: String(id), before: before.auditJSON,
                    after: try? JSONSerialization.data(
                        withJSONObject: ["treated": treated, "holdout": holdout], options: [.sortedKeys])),
                on: tenant)
            return after
        }
        return .ok(.init(body: .json(campaign.api)))
    }

    /// The rule of the campaign's saved segment, or nil; a segment removed since is a 422 naming
    /// `audience.segment_id`.
    static func rule(of campaign: Campaign, on tenant: TenantConnection) async throws -> SegmentRule? {
        guard let id = campaign.segmentID else { return nil }
        guard let segment = try await SegmentStore.find(id, on: tenant) else {
            throw Problem.invalidField(
                "audience.segment_id", "Segment \(id) no longer exists; the campaign's audience cannot be drawn.")
        }
        return try SegmentRule.parse(try JSONSerialization.jsonObject(with: Data(segment.rule.utf8)))
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
            try await CampaignRuns.sending(
                after, action: action, treated: 0, holdout: 0,
                context: EventContext(connection: tenant, tenant: principal.tenant, events: events))
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
