import Foundation

/// A programme's row as stored (`ProgramStore.columns`), read from columns or from the JSON a
/// statement built of them (`LoyaltyOrderRead`).
struct ProgramRecord: Decodable {
    let id: Int64
    let name: String
    let currency: String
    let pointsPerUnit: String
    let pointsRounding: String
    let pointsExpiry: String
    let pointsExpiryDays: Int?
    let tierWindow: String
    let tierWindowDays: Int?
    let downgrade: String
    let downgradeGraceDays: Int?
    let enrolment: String
    let cardPrefix: String
    let createdAt: Date
    let updatedAt: Date
    let tiersRevision: Int64

    enum CodingKeys: String, CodingKey {
        case id, name, currency, downgrade, enrolment
        case pointsPerUnit = "points_per_unit", pointsRounding = "points_rounding", pointsExpiry = "points_expiry"
        case pointsExpiryDays = "points_expiry_days", tierWindow = "tier_window", tierWindowDays = "tier_window_days"
        case downgradeGraceDays = "downgrade_grace_days", cardPrefix = "card_prefix", createdAt = "created_at"
        case updatedAt = "updated_at", tiersRevision = "tiers_revision"
    }

    /// The programme the row describes.
    var program: Program {
        Program(
            id: id, name: name, currency: currency,
            earning: EarningRule(
                pointsPerUnit: Decimal(string: pointsPerUnit) ?? 0,
                rounding: EarningRule.Rounding(rawValue: pointsRounding) ?? .down),
            expiry: pointsExpiry == "after_days"
                ? .afterDays(pointsExpiryDays ?? 0) : pointsExpiry == "end_of_year" ? .endOfYear : .never,
            window: tierWindow == "rolling_days" ? .rollingDays(tierWindowDays ?? 365) : .calendarYear,
            downgrade: downgrade == "grace_days"
                ? .graceDays(downgradeGraceDays ?? 0) : downgrade == "end_of_period" ? .endOfPeriod : .immediate,
            enrolment: Enrolment(rawValue: enrolment) ?? .explicit, cardPrefix: cardPrefix, createdAt: createdAt,
            updatedAt: updatedAt, tiersRevision: tiersRevision)
    }
}
