/// An API-key scope, as API.md lists them.
public enum APIScope: String, Sendable, CaseIterable, Comparable {
    case customersRead = "customers:read"
    case customersWrite = "customers:write"
    case ordersWrite = "orders:write"
    case loyaltyRead = "loyalty:read"
    case loyaltyWrite = "loyalty:write"
    case communityRead = "community:read"
    case communityWrite = "community:write"
    case campaignsRead = "campaigns:read"
    case campaignsWrite = "campaigns:write"
    case careWrite = "care:write"
    case insightRead = "insight:read"

    public static func < (a: APIScope, b: APIScope) -> Bool { a.rawValue < b.rawValue }
}

/// Who may call one operation.
public struct AccessRule: Sendable, Equatable {
    /// Whose credential the operation takes.
    public enum Audience: Sendable, Equatable {
        /// No credential: health checks, sign-up, sign-in.
        case everyone
        /// The platform operator's token from the server's configuration.
        case platformOperator
        /// An admin session or an API key of one tenant.
        case tenant
    }

    /// What an API key needs to call a tenant operation.
    public enum KeyAccess: Sendable, Equatable {
        /// Only admin sessions may call it.
        case refused
        /// Any live key of the tenant.
        case anyKey
        /// A key holding this scope.
        case scope(APIScope)
    }

    public let audience: Audience
    /// The admin roles allowed, for a tenant operation.
    public let roles: Set<TenantUser.Role>
    public let keys: KeyAccess

    public static let everyone = AccessRule(audience: .everyone, roles: [], keys: .refused)
    public static let platformOperator = AccessRule(audience: .platformOperator, roles: [], keys: .refused)

    public static func tenant(_ roles: Set<TenantUser.Role>, keys: KeyAccess) -> AccessRule {
        AccessRule(audience: .tenant, roles: roles, keys: keys)
    }

    /// Whether `principal` may call the operation this rule guards; a 403 saying why not.
    func authorize(_ principal: Principal, operation: String) throws(Problem) {
        switch principal.actor {
        case .user(_, let role):
            guard roles.contains(role) else {
                throw .forbidden("The role '\(role.rawValue)' may not call \(operation).")
            }
        case .apiKey(_, let scopes):
            switch keys {
            case .refused:
                throw .forbidden("API keys may not call \(operation); it needs an admin session.")
            case .anyKey:
                break
            case .scope(let needed):
                guard scopes.contains(needed) else {
                    throw .forbidden("This API key lacks the scope '\(needed.rawValue)' that \(operation) needs.")
                }
            }
        }
    }
}

extension Set where Element == TenantUser.Role {
    /// Every role: API.md lets every role read.
    public static let everyRole: Self = Set(TenantUser.Role.allCases)
    /// Owners and admins: everything that administers the tenant.
    public static let managers: Self = [.owner, .admin]
    /// Campaigns, community and segments.
    public static let marketers: Self = [.owner, .admin, .marketer]
    /// Customers and complaints.
    public static let agents: Self = [.owner, .admin, .agent]
}
