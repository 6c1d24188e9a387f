import Foundation
import ItineraAPI

/// The communities in the customer's one view, by when the customer joined.
extension CommunityStore {
    static let customerViewPart = CustomerViewPart(
        statements: { id in
            [
                try PQStatement(
                    prepared: """
                        SELECT c.id, c.name, m.joined_at FROM community_members m
                        JOIN communities c ON c.id = m.community_id
                        WHERE m.customer_id = $1 ORDER BY m.joined_at, c.id
                        """
                ).binding(id)
            ]
        },
        fill: { customer, rows in
            customer.communities = try rows[rows.startIndex].all.map { row in
                let (id, name, joined) = try row.decode((Int64, String, Date).self)
                return Components.Schemas.CustomerCommunity(id: String(id), name: name, joinedAt: joined)
            }
        })
}
