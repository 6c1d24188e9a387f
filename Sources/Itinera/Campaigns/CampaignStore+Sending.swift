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
    /// Taken in customer order after `after` (the last of the batch before; 0 at the start), so each
    /// batch reads on from where the one before stopped.
    /// The batch's customers are locked (shared) first, in id order, before their recipients: an
    /// order takes its customer before it records a recovery on the recipient, so the job waits for
    /// an order in flight rather than holding the recipient the order needs (a deadlock).
    static func due(_ id: Int64, after: Int64, limit: Int, on tenant: TenantConnection) async throws
        -> [(customerID: Int64, lastOrderID: Int64?, consents: Bool)]
    {
        try await tenant.execute(
            """
            SELECT c.id FROM customers c
            WHERE c.id IN (SELECT r.customer_id FROM campaign_recipients r
                           WHERE r.campaign_id = \(id) AND r.customer_id > \(after) AND r.grp = 'treated'
                             AND r.contacted_at IS NULL
                           ORDER BY r.customer_id LIMIT \(limit))
            ORDER BY c.id FOR SHARE
            """)
        return try await tenant.query(
            """
            WITH d AS (
                SELECT r.customer_id FROM campaign_recipients r
                WHERE r.campaign_id = \(id) AND r.customer_id > \(after) AND r.grp = 'treated' AND r.contacted_at IS NULL
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

extension CampaignStore {
    /// The header line of a campaign's recipients as CSV.
    static let csvHeader =
        "customer_id,group,entered_at,contacted_at,message_state,clicked,redeemed,recovered_order_id,recovered_at,recovered_amount_minor,prior_average_minor\n"

    /// Up to `limit` recipients after customer `after`, each as one CSV line written by the database
    /// (ids, group and state names, numbers and UTC times: nothing that needs quoting; a null is an
    /// empty field), and the last customer id of the page.
    static func csvPage(_ campaign: Campaign, after: Int64, limit: Int, on tenant: TenantConnection) async throws
        -> (lines: String, last: Int64?)
    {
        let rows = try await tenant.query(
            """
            SELECT r.customer_id,
                   array_to_string(ARRAY[
                       r.customer_id::text, r.grp,
                       to_char(r.entered_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                       to_char(r.contacted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                       m.state, coalesce(m.clicked, false)::text,
                       EXISTS (SELECT 1 FROM offer_redemptions o
                               WHERE o.offer_id = \(campaign.offerID) AND o.customer_id = r.customer_id
                                 AND o.redeemed_at >= r.entered_at)::text,
                       r.recovered_order_id::text,
                       to_char(r.recovered_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                       r.recovered_amount_minor::text, r.prior_average_minor::text], ',', '')
            FROM campaign_recipients r
            LEFT JOIN LATERAL (
                SELECT m.state, m.clicks > 0 AS clicked FROM messages m
                WHERE m.source_ref = 'campaign:' || r.campaign_id AND m.customer_id = r.customer_id
                ORDER BY m.created_at DESC, m.id DESC LIMIT 1
            ) m ON true
            WHERE r.campaign_id = \(campaign.id) AND r.customer_id > \(after)
            ORDER BY r.customer_id LIMIT \(limit)
            """)
        var text = ""
        var last: Int64?
        for row in rows.collect() {
            let (customer, line) = try row.decode((Int64, String).self)
            text += line + "\n"
            last = customer
        }
        return (text, last)
    }
}
