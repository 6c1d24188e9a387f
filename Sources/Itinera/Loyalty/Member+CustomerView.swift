import Foundation
import ItineraAPI

/// The customer's memberships in their one view: each programme joined, with tier and points.
extension MemberStore {
    static let customerViewPart = CustomerViewPart(
        statements: { id in
            [
                try PQStatement(
                    prepared: """
                        SELECT m.id, m.program_id, p.name, m.card_number, m.tier_code, t.name,
                               coalesce(m.tier_since, m.enrolled_at), m.points_balance, m.enrolled_at
                        FROM members m JOIN programs p ON p.id = m.program_id
                        LEFT JOIN tiers t ON t.program_id = m.program_id AND t.code = m.tier_code
                        WHERE m.customer_id = $1 ORDER BY m.program_id
                        """
                ).binding(id)
            ]
        },
        fill: { customer, rows in
            customer.memberships = try rows[rows.startIndex].all.map { row in
                let (member, program, name, card, tier, tierName, since, points, enrolled) = try row.decode(
                    (Int64, Int64, String, String, String?, String?, Date, Int64, Date).self)
                return Components.Schemas.CustomerMembership(
                    memberId: String(member), programId: String(program), program: name, cardNumber: card,
                    tier: tier.map { .init(code: $0, name: tierName ?? $0, since: since) }, pointsBalance: points,
                    enrolledAt: enrolled)
            }
        })
}
