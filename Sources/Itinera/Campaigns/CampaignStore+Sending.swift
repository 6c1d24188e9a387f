import Foundation
import PostgresNIO

/// The SQL of sending a campaign: the treated recipients the send job takes next, and the state the
/// scheduler moves campaigns through.
extension CampaignStore {
    /// Marks up to `limit` treated recipients not yet passed as contacted and answers them, each
    /// with their latest order that counts (their last trip) and whether they still consent to
    /// marketing on the campaign's channel (consent withdrawn since the launch: no code, no message).
    /// Recipients another transaction holds are skipped, so two runs of the job never take the
    /// same one.
    static func due(_ id: Int64, limit: Int, on tenant: TenantConnection) async throws
        -> [(customerID: Int64, lastOrderID: Int64?, consents: Bool)]
    {
        try await tenant.query(
            """
            WITH d AS (
                SELECT r.customer_id FROM campaign_recipients r
                WHERE r.campaign_id = \(id) AND r.grp = 'treated' AND r.contacted_at IS NULL
                ORDER BY r.customer_id LIMIT \(limit) FOR UPDATE SKIP LOCKED
            ), u AS (
                UPDATE campaign_recipients r SET contacted_at = now()
                FROM d WHERE r.campaign_id = \(id) AND r.customer_id = d.customer_id
                RETURNING r.customer_id
            )
            SELECT u.customer_id,
                   (SELECT o.id FROM orders o
                    WHERE o.customer_id = u.customer_id AND o.status IN ('confirmed', 'completed')
                    ORDER BY o.ordered_at DESC, o.id DESC LIMIT 1),
                   EXISTS (SELECT 1 FROM consents g, campaigns k
                           WHERE k.id = \(id) AND g.customer_id = u.customer_id AND g.channel = k.channel
                             AND g.purpose = 'marketing' AND g.granted)
            FROM u ORDER BY u.customer_id
            """
        ).collect().map { row in
            let (customer, order, consents) = try row.decode((Int64, Int64?, Bool).self)
            return (customer, order, consents)
        }
    }

    /// How many treated recipients the send job has still to pass.
    static func remaining(_ id: Int64, on tenant: TenantConnection) async throws -> Int64 {
        try await tenant.query(
            """
            SELECT count(*) FROM campaign_recipients
            WHERE campaign_id = \(id) AND grp = 'treated' AND contacted_at IS NULL
            """
        ).first?.decode(Int64.self) ?? 0
    }
}
