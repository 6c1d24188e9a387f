import Foundation

/// A member club of the tenant: who may join it (`visibility`), and a minimum tier of a programme.
struct Community: Sendable, Equatable {
    enum Visibility: String, Sendable, CaseIterable {
        /// Anyone may join (subject to `minTier`).
        case open
        /// Only an admin adds members.
        case invitation
        /// Customers at or above `minTier` may join.
        case tier
    }

    var id: Int64
    var name: String
    var description: String?
    var visibility: Visibility
    var programID: Int64?
    var minTier: String?
    var memberCount: Int
    var createdAt: Date
    var updatedAt: Date

    /// Most communities one tenant may keep.
    static let maxPerTenant = 500

    var auditJSON: Data? {
        try? JSONSerialization.data(
            withJSONObject: [
                "name": name, "description": description as Any, "visibility": visibility.rawValue,
                "program_id": programID.map(String.init) as Any, "min_tier": minTier as Any,
            ], options: [.sortedKeys])
    }
}

/// One member of a community.
struct CommunityMember: Sendable, Equatable {
    var customerID: Int64
    var joinedAt: Date
    var source: String
}

/// Why a customer may not join, or register: the unmet condition, named in the 4xx the caller gets.
enum Gate: Sendable, Equatable {
    case invitationOnly(community: Int64)
    case belowTier(program: Int64, tier: String, has: String?)
    case notAMember(community: Int64)

    var problem: Problem {
        switch self {
        case .invitationOnly(let community):
            var problem = Problem(
                status: .forbidden, type: "gated", title: "Not admitted",
                detail: "Community \(community) is by invitation: only an admin adds members.")
            problem.members["condition"] = .string("invitation")
            return problem
        case .belowTier(let program, let tier, let has):
            var problem = Problem(
                status: .forbidden, type: "gated", title: "Not admitted",
                detail:
                    "This needs tier '\(tier)' or above in programme \(program); the customer "
                    + (has.map { "is at '\($0)'." } ?? "is not a member of it."))
            problem.members["condition"] = .string("min_tier")
            return problem
        case .notAMember(let community):
            var problem = Problem(
                status: .forbidden, type: "gated", title: "Not admitted",
                detail: "This event is for members of community \(community) only; the customer is not one.")
            problem.members["condition"] = .string("community_membership")
            return problem
        }
    }
}

/// A community's figures over a period: members, who joined and left, who was active, attendance
/// at its events, and members' spend against non-members'.
struct CommunityReport: Sendable, Equatable {
    var from: Date
    var to: Date
    var members: Int
    var joined: Int
    var left: Int
    /// Members with an order or an event registration in the period.
    var activeMembers: Int
    /// The community's events that started in the period, their registrations (seated) and check-ins.
    var events: Int
    var registered: Int
    var attended: Int
    /// Confirmed and completed orders in the period, in minor units of the tenant's currency.
    var memberSpendMinor: Int64
    /// Customers who have ordered at least once and are not members.
    var nonMembers: Int
    var nonMemberSpendMinor: Int64

    var attendanceRate: Double? { registered > 0 ? Double(attended) / Double(registered) : nil }
    var memberAverageMinor: Int64 { members > 0 ? memberSpendMinor / Int64(members) : 0 }
    var nonMemberAverageMinor: Int64 { nonMembers > 0 ? nonMemberSpendMinor / Int64(nonMembers) : 0 }
    /// Members' average spend over non-members'.
    var spendRatio: Double? {
        nonMemberAverageMinor > 0 ? Double(memberAverageMinor) / Double(nonMemberAverageMinor) : nil
    }
}
