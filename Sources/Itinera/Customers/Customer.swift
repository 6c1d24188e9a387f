public import Foundation

/// A customer as one tenant knows them: who they are, how to reach them, and what they are worth.
public struct Customer: Sendable, Equatable {
    public var id: Int64
    public var profile: CustomerProfile
    public var identities: [CustomerIdentity]
    public var consents: [Consent]
    public var tags: [String]
    public var figures: ValueFigures
    public var rfm: RFMScore?
    public var createdAt: Date
    public var updatedAt: Date
}

/// The personal fields of a customer; `nil` is unknown.
public struct CustomerProfile: Sendable, Equatable, Codable {
    public enum Gender: String, Sendable, Codable, CaseIterable {
        case female, male, other, undisclosed
    }

    public var name: String?
    public var gender: Gender?
    public var birthYear: Int?
    public var region: String?
    public var city: String?
    public var language: String?
    /// The tenant's own fields, a JSON object.
    public var attributes: String?

    public init(
        name: String? = nil, gender: Gender? = nil, birthYear: Int? = nil, region: String? = nil, city: String? = nil,
        language: String? = nil, attributes: String? = nil
    ) {
        self.name = name
        self.gender = gender
        self.birthYear = birthYear
        self.region = region
        self.city = city
        self.language = language
        self.attributes = attributes
    }
}

/// Whether a customer may be contacted on a channel, as they last said.
public struct Consent: Sendable, Equatable, Codable {
    public enum Channel: String, Sendable, Codable, CaseIterable {
        case email, sms, wechat, phone
    }

    /// What the customer may be contacted about: offers and news, or their own bookings.
    public enum Purpose: String, Sendable, Codable, CaseIterable {
        case marketing, service
    }

    public var channel: Channel
    public var purpose: Purpose
    public var granted: Bool
    public var recordedAt: Date
    public var source: String

    enum CodingKeys: String, CodingKey {
        case channel, purpose, granted, source
        case recordedAt = "recorded_at"
    }
}

/// What a customer is worth, over their confirmed and completed orders.
public struct ValueFigures: Sendable, Equatable {
    public var orderCount: Int
    public var totalSpentMinor: Int64
    public var firstOrderAt: Date?
    public var lastOrderAt: Date?

    /// The mean order, rounded half up; 0 before the first order.
    public var averageOrderValueMinor: Int64 {
        orderCount == 0 ? 0 : (totalSpentMinor * 2 + Int64(orderCount)) / (Int64(orderCount) * 2)
    }
}

/// Recency, frequency and monetary quintiles (5 is best) and the segment they name.
public struct RFMScore: Sendable, Equatable {
    public var recency: Int
    public var frequency: Int
    public var monetary: Int
    public var segment: String
    public var computedAt: Date
}
