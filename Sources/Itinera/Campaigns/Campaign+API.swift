import Foundation
import ItineraAPI

extension Campaign {
    var api: Components.Schemas.Campaign {
        Components.Schemas.Campaign(
            id: String(id), name: name, state: .init(rawValue: state) ?? .draft,
            audience: .init(
                lapsedDaysMin: lapsedDaysMin, lapsedDaysMax: lapsedDaysMax,
                minLifetimeSpentMinor: minLifetimeSpentMinor, programId: programID.map(String.init), tiers: tiers,
                rfmSegments: rfmSegments, segmentId: segmentID.map(String.init)),
            offer: offerID == nil && gift == nil ? nil : .init(offerId: offerID.map(String.init), gift: gift),
            channel: .init(rawValue: channel) ?? .email, template: template, holdoutPercent: holdoutPercent,
            attributionDays: attributionDays, cooldownDays: cooldownDays,
            schedule: .init(kind: .init(rawValue: schedule) ?? .once, startAt: startAt, everyDays: everyDays),
            nextRunAt: nextRunAt, launchedAt: launchedAt, createdAt: createdAt, updatedAt: updatedAt)
    }
}

extension CampaignGroupResult {
    var api: Components.Schemas.CampaignGroupResult {
        Components.Schemas.CampaignGroupResult(
            recipients: recipients, sent: sent, delivered: delivered, clicked: clicked, redeemed: redeemed,
            recovered: recovered, rate: rate, revenueMinor: revenueMinor, recoveredAverageMinor: recoveredAverageMinor,
            priorAverageMinor: priorAverageMinor)
    }
}

/// Checks of what admins write about campaigns.
enum CampaignInput {
    static func campaign(_ body: Components.Schemas.CampaignRequest) throws(Problem) -> Campaign {
        let name = try FieldText.required(body.name, field: "name", max: 200)
        let audience = body.audience
        guard (1...3650).contains(audience.lapsedDaysMin) else {
            throw .invalidField("audience.lapsed_days_min", "audience.lapsed_days_min must be 1–3650.")
        }
        if let max = audience.lapsedDaysMax, !(audience.lapsedDaysMin...3650).contains(max) {
            throw .invalidField(
                "audience.lapsed_days_max",
                "audience.lapsed_days_max must be at least lapsed_days_min and at most 3650.")
        }
        if let spent = audience.minLifetimeSpentMinor, spent < 0 {
            throw .invalidField(
                "audience.min_lifetime_spent_minor", "audience.min_lifetime_spent_minor must not be negative.")
        }
        var program: Int64?
        if let tiers = audience.tiers {
            guard let programID = audience.programId else {
                throw .invalidField(
                    "audience.program_id", "audience.tiers needs program_id, the programme they are of.")
            }
            program = try FieldText.id(programID, field: "audience.program_id", what: "a programme's id")
            guard (1...20).contains(tiers.count) else {
                throw .invalidField("audience.tiers", "audience.tiers names 1–20 tiers.")
            }
        } else if audience.programId != nil {
            throw .invalidField("audience.tiers", "audience.program_id goes with tiers of that programme.")
        }
        if let segments = audience.rfmSegments, !(1...20).contains(segments.count) {
            throw .invalidField("audience.rfm_segments", "audience.rfm_segments names 1–20 segments.")
        }
        let offer = try body.offer?.offerId.map { text throws(Problem) in
            try FieldText.id(text, field: "offer.offer_id", what: "an offer's id")
        }
        let gift = try body.offer?.gift.map { text throws(Problem) in
            try FieldText.required(text, field: "offer.gift", max: 500)
        }
        if offer != nil, gift != nil {
            throw .invalidField("offer", "An offer is a community offer (offer_id) or a described gift, not both.")
        }
        let template = try TemplateInput.name(body.template)
        guard (0...50).contains(body.holdoutPercent) else {
            throw .invalidField("holdout_percent", "holdout_percent must be 0–50.")
        }
        guard (1...365).contains(body.attributionDays) else {
            throw .invalidField("attribution_days", "attribution_days must be 1–365.")
        }
        let cooldown = body.cooldownDays ?? 30
        guard (0...365).contains(cooldown) else { throw .invalidField("cooldown_days", "cooldown_days must be 0–365.") }
        let segment = try audience.segmentId.map { text throws(Problem) in
            try FieldText.id(text, field: "audience.segment_id", what: "a segment's id")
        }
        let schedule = body.schedule?.kind.rawValue ?? "once"
        let every = body.schedule?.everyDays
        if schedule == "recurring" {
            guard let every, (1...90).contains(every) else {
                throw .invalidField("schedule.every_days", "A recurring campaign runs every 1–90 days (every_days).")
            }
        } else if every != nil {
            throw .invalidField("schedule.every_days", "every_days goes with a recurring schedule.")
        }
        let now = Date()
        if let start = body.schedule?.startAt, start > now.addingTimeInterval(366 * 86_400) {
            throw .invalidField("schedule.start_at", "schedule.start_at must be within a year.")
        }
        return Campaign(
            id: 0, name: name, state: "draft", lapsedDaysMin: audience.lapsedDaysMin,
            lapsedDaysMax: audience.lapsedDaysMax, minLifetimeSpentMinor: audience.minLifetimeSpentMinor,
            programID: program, tiers: audience.tiers, rfmSegments: audience.rfmSegments, offerID: offer, gift: gift,
            channel: body.channel.rawValue, template: template, holdoutPercent: body.holdoutPercent,
            attributionDays: body.attributionDays, cooldownDays: cooldown, segmentID: segment, schedule: schedule,
            startAt: body.schedule?.startAt, everyDays: every, launchedAt: nil, createdAt: now, updatedAt: now)
    }
}
