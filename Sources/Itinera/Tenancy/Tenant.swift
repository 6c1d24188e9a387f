public import Foundation

/// A business signed up to Itinera, as kept in `itinera.tenants`.
public struct Tenant: Sendable, Equatable {
    /// What kind of business a tenant is.
    public enum Kind: String, Sendable, CaseIterable {
        case agency
        case scenicArea = "scenic_area"
        case hotel
    }

    /// Whether the tenant may use the API.
    public enum State: String, Sendable {
        case active
        case suspended
    }

    public var id: UUID
    public var slug: String
    public var name: String
    public var kind: Kind
    public var timezone: String
    public var currency: String
    public var state: State
    public var createdAt: Date
    public var identity: TenantIdentity
    /// ISO 3166-1 alpha-2; the default region of customers' telephone numbers.
    public var country: String

    /// The time zone of `timezone` (checked at sign-up), which decides calendar windows.
    public var timeZone: TimeZone { TimeZone(identifier: timezone) ?? .gmt }
}

/// A person who administers a tenant.
public struct TenantUser: Sendable, Equatable {
    /// What a user may do; see API.md for each role's reach.
    public enum Role: String, Sendable, CaseIterable {
        case owner, admin, marketer, agent, analyst
    }

    /// An invited user has no password until they accept the invitation.
    public enum State: String, Sendable {
        case invited, active
    }

    public var id: UUID
    public var tenantID: UUID
    public var email: String
    public var name: String
    public var role: Role
    public var state: State = .active
    public var createdAt: Date
}
