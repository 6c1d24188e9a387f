import Foundation
import PostgresNIO

/// The SQL of win-back campaigns (tenant schema): definitions, the audience with its exclusions,
/// the launch's snapshot and split, attribution from the order's transaction, and the results.
enum CampaignStore {
    static let columns = """
        k.id, k.name, k.state, k.lapsed_days_min, k.lapsed_days_max, k.min_lifetime_spent_minor, k.program_id,
        k.tiers, k.rfm_segments, k.offer_id, k.gift, k.channel, k.template, k.holdout_percent, k.attribution_days,
        k.cooldown_days, k.launched_at, k.created_at, k.updated_at, k.segment_id, k.schedule, k.start_at, k.every_days,
        k.next_run_at
        """

    static func campaign(from row: PQRow) throws -> Campaign {
        func column<Value: PostgresDecodable>(_ index: Int, _ type: Value.Type) throws -> Value {
            try row[index].decode(Value.self)
        }
        return Campaign(
            id: try column(0, Int64.self), name: try column(1, String.self), state: try column(2, String.self),
            lapsedDaysMin: try column(3, Int.self), lapsedDaysMax: try column(4, Int?.self),
            minLifetimeSpentMinor: try column(5, Int64?.self), programID: try column(6, Int64?.self),
            tiers: try column(7, [String]?.self), rfmSegments: try column(8, [String]?.self),
            offerID: try column(9, Int64?.self), gift: try column(10, String?.self),
            channel: try column(11, String.self),
            template: try column(12, String.self), holdoutPercent: try column(13, Int.self),
            attributionDays: try column(14, Int.self), cooldownDays: try column(15, Int.self),
            segmentID: try column(19, Int64?.self), schedule: try column(20, String.self),
            startAt: try column(21, Date?.self), everyDays: try column(22, Int?.self),
            nextRunAt: try column(23, Date?.self), launchedAt: try column(16, Date?.self),
            createdAt: try column(17, Date.self), updatedAt: try column(18, Date.self))
    }

    static func insert(_ c: Campaign, on tenant: TenantConnection) async throws -> Campaign {
        let rows = try await tenant.query(
            """
            INSERT INTO campaigns AS k (name, lapsed_days_min, lapsed_days_max, min_lifetime_spent_minor, program_id,
                                        tiers, rfm_segments, offer_id, gift, channel, template, holdout_percent,
                                        attribution_days, cooldown_days, segment_id, schedule, start_at, every_days)
            VALUES (\(c.name), \(c.lapsedDaysMin), \(c.lapsedDaysMax), \(c.minLifetimeSpentMinor), \(c.programID),
                    \(c.tiers)::text[], \(c.rfmSegments)::text[], \(c.offerID), \(c.gift), \(c.channel), \(c.template),
                    \(c.holdoutPercent), \(c.attributionDays), \(c.cooldownDays), \(c.segmentID), \(c.schedule),
                    \(c.startAt), \(c.everyDays))
            RETURNING \(unescaped: columns)
            """)
        guard let row = rows.first else {
            throw Problem.internalError(requestID: RequestScope.current?.requestID ?? "unknown")
        }
        return try campaign(from: row)
    }

    /// The campaign `id`; with `lock` under its row lock, with `share` under a share lock (which a
    /// state change waits for).
    static func find(_ id: Int64, lock: Bool = false, share: Bool = false, on tenant: TenantConnection) async throws
        -> Campaign?
    {
        try await tenant.query(
            """
            SELECT \(unescaped: columns) FROM campaigns k WHERE k.id = \(id)
            \(unescaped: lock ? "FOR UPDATE" : share ? "FOR SHARE" : "")
            """
        ).first.map { try campaign(from: $0) }
    }

    static func list(after: Int64?, limit: Int, on tenant: TenantConnection) async throws -> [Campaign] {
        try await tenant.query(
            """
            SELECT \(unescaped: columns) FROM campaigns k
            WHERE \(after)::bigint IS NULL OR k.id > \(after) ORDER BY k.id LIMIT \(limit)
            """
        ).collect().map { try campaign(from: $0) }
    }

    static func setState(_ id: Int64, to state: String, on tenant: TenantConnection) async throws -> Campaign? {
        try await tenant.query(
            """
            UPDATE campaigns k
            SET state = \(state), updated_at = now(),
                next_run_at = CASE WHEN \(state) IN ('cancelled', 'completed') THEN NULL ELSE k.next_run_at END
            WHERE k.id = \(id)
            RETURNING \(unescaped: columns)
            """
        ).first.map { try campaign(from: $0) }
    }

    /// The campaign's audience as a subquery `a`: every live customer its rules (and its segment's
    /// rule, when given) admit who has not entered it yet, each with `no_consent` (no marketing
    /// consent for the channel), `cool_down` (contacted by another campaign within the cool-down)
    /// and `holdout_history` (held out by another campaign whose window is still open).
    ///
    /// Set-based, for a million customers in a few seconds: consents and the recipients that
    /// matter are joined once (the recipients grouped per customer first), not looked up customer
    /// by customer.
    private static func appendAudience(_ id: Int64, rule: SegmentRule?, to query: inout QueryBuilder) {
        query.append(audienceSQL(id))
        if let rule {
            query.append(" AND ")
            rule.compile(into: &query)
        }
    }

    private static func audienceSQL(_ id: Int64) -> String {
        """
        SELECT c.id, c.total_spent_minor, c.order_count, g.customer_id IS NULL AS no_consent,
               coalesce(x.cool_down, false) AS cool_down, coalesce(x.holdout_history, false) AS holdout_history
        FROM campaigns k JOIN customers c
          ON c.erased_at IS NULL AND c.order_count > 0
         AND c.last_order_at <= now() - k.lapsed_days_min * interval '1 day'
         AND (k.lapsed_days_max IS NULL OR c.last_order_at > now() - k.lapsed_days_max * interval '1 day')
         AND (k.min_lifetime_spent_minor IS NULL OR c.total_spent_minor >= k.min_lifetime_spent_minor)
         AND (k.rfm_segments IS NULL OR c.rfm_segment = ANY (k.rfm_segments))
         AND (k.tiers IS NULL OR EXISTS (SELECT 1 FROM members m
                                         WHERE m.customer_id = c.id AND m.program_id = k.program_id
                                           AND m.tier_code = ANY (k.tiers)))
        LEFT JOIN consents g
          ON g.customer_id = c.id AND g.channel = k.channel AND g.purpose = 'marketing' AND g.granted
        LEFT JOIN (
            SELECT r.customer_id, bool_or(r.campaign_id = o.id) AS entered,
                   bool_or(r.campaign_id <> o.id AND r.grp = 'treated'
                           AND r.entered_at > now() - o.cooldown_days * interval '1 day') AS cool_down,
                   bool_or(r.campaign_id <> o.id AND r.grp = 'holdout' AND r.attribution_ends_at > now())
                       AS holdout_history
            FROM campaign_recipients r JOIN campaigns o ON o.id = \(id)
            WHERE r.campaign_id = o.id OR (r.grp = 'treated' AND r.entered_at > now() - o.cooldown_days * interval '1 day')
               OR (r.grp = 'holdout' AND r.attribution_ends_at > now())
            GROUP BY r.customer_id
        ) x ON x.customer_id = c.id
        WHERE k.id = \(id) AND NOT coalesce(x.entered, false)
        """
    }

    static func preview(_ id: Int64, rule: SegmentRule?, sample: Int, on tenant: TenantConnection) async throws
        -> CampaignPreview
    {
        var query = QueryBuilder(sql: "WITH a AS (")
        appendAudience(id, rule: rule, to: &query)
        query.append(
            """
            )
            SELECT count(*) FILTER (WHERE NOT (no_consent OR cool_down OR holdout_history))::int,
                   count(*) FILTER (WHERE no_consent)::int,
                   count(*) FILTER (WHERE NOT no_consent AND cool_down)::int,
                   count(*) FILTER (WHERE NOT no_consent AND NOT cool_down AND holdout_history)::int,
                   (SELECT coalesce(array_agg(id ORDER BY id), '{}') FROM (
                        SELECT id FROM a WHERE NOT (no_consent OR cool_down OR holdout_history) ORDER BY id
                        LIMIT \(sample)) s)
            FROM a
            """)
        guard let row = try await tenant.query(query.query).first else {
            return CampaignPreview(audience: 0, sample: [], noConsent: 0, coolDown: 0, holdoutHistory: 0)
        }
        let (audience, noConsent, coolDown, holdout, sampled) = try row.decode((Int, Int, Int, Int, [Int64]).self)
        return CampaignPreview(
            audience: audience, sample: sampled, noConsent: noConsent, coolDown: coolDown, holdoutHistory: holdout)
    }

    /// Snapshots the audience and splits it in one statement (the caller holds the campaign's row
    /// lock): a customer is held out when the first 32 bits of `md5('<campaign id>:<customer id>')`,
    /// as a number, modulo 100, fall below the hold-out percentage. The campaign is running from then
    /// (launched at the first snapshot; a rerun keeps that time). Answers the treated and held-out
    /// counts of those entered now.
    ///
    /// The statement reads the recipients it writes to: no plan may read them customer by customer
    /// (a nested loop over a table the planner saw empty would read every row written so far, for
    /// each customer), so nested loops are off for it.
    static func snapshot(_ campaign: Campaign, rule: SegmentRule?, on tenant: TenantConnection) async throws
        -> (treated: Int, holdout: Int)
    {
        let id = campaign.id
        try await tenant.execute("SELECT set_config('enable_nestloop', 'off', true)")
        var query = QueryBuilder(sql: "WITH a AS (")
        appendAudience(id, rule: rule, to: &query)
        query.append(
            """
            ), entered AS (
                INSERT INTO campaign_recipients (campaign_id, customer_id, grp, entered_at, attribution_ends_at,
                                                 prior_average_minor)
                SELECT \(id), a.id,
                       CASE WHEN ('x' || substr(md5('\(id):' || a.id::text), 1, 8))::bit(32)::bigint % 100
                                 < \(campaign.holdoutPercent)
                            THEN 'holdout' ELSE 'treated' END,
                       now(), now() + \(campaign.attributionDays) * interval '1 day',
                       a.total_spent_minor / greatest(a.order_count, 1)
                FROM a WHERE NOT (a.no_consent OR a.cool_down OR a.holdout_history)
                RETURNING grp
            ), launched AS (
                UPDATE campaigns SET state = 'running', launched_at = coalesce(launched_at, now()), updated_at = now()
                WHERE id = \(id)
            )
            SELECT count(*) FILTER (WHERE grp = 'treated')::int, count(*) FILTER (WHERE grp = 'holdout')::int
            FROM entered
            """)
        let row = try await tenant.query(query.query).first
        try await tenant.execute("SELECT set_config('enable_nestloop', 'on', true)")
        return try row.map { try $0.decode((Int, Int).self) } ?? (0, 0)
    }

    /// Sets when the campaign's next run is due: `days` from now, or never; answers the time.
    static func scheduleNextRun(_ id: Int64, inDays days: Int?, at time: Date? = nil, on tenant: TenantConnection)
        async throws -> Date?
    {
        let rows = try await tenant.query(
            """
            UPDATE campaigns
            SET next_run_at = coalesce(\(time)::timestamptz, now() + \(days) * interval '1 day'), updated_at = now(),
                state = CASE WHEN \(time)::timestamptz IS NOT NULL AND state = 'draft' THEN 'scheduled' ELSE state END
            WHERE id = \(id)
            RETURNING next_run_at
            """)
        guard let row = rows.first else { return nil }
        return try row.decode(Date?.self)
    }

    /// Records an order as the recovery of every campaign recipient of its customer whose window it
    /// falls in, in the order's own transaction and with its next flush (no round trip of its own).
    /// The window opens at the launch's second: partners send order times to the second.
    static func attribute(_ order: Order, on tenant: TenantConnection) throws {
        tenant.connection.sendWithNext(
            try attributeStatement.binding(order.customerID).binding(order.id).binding(order.details.orderedAt)
                .binding(order.details.amountMinor))
    }

    private static let attributeStatement = PQStatement(
        prepared: """
            UPDATE campaign_recipients r
            SET recovered_order_id = $2, recovered_at = $3, recovered_amount_minor = $4
            WHERE r.customer_id = $1 AND r.recovered_at IS NULL AND date_trunc('second', r.entered_at) <= $3
              AND $3 < r.attribution_ends_at
            """)

    /// A merge: the merged customer's recipients become the survivor's, unless the survivor is in the
    /// same campaign (then the merged customer's place is dropped: each customer counts once).
    static func merge(_ merged: Int64, into survivor: Int64, on tenant: TenantConnection) async throws {
        try await tenant.execute(
            """
            WITH dropped AS (
                DELETE FROM campaign_recipients o
                WHERE o.customer_id = \(merged)
                  AND EXISTS (SELECT 1 FROM campaign_recipients s
                              WHERE s.campaign_id = o.campaign_id AND s.customer_id = \(survivor))
                RETURNING o.campaign_id
            )
            UPDATE campaign_recipients SET customer_id = \(survivor)
            WHERE customer_id = \(merged) AND campaign_id NOT IN (SELECT campaign_id FROM dropped)
            """)
    }

    /// Each group's recipients and outcomes.
    static func results(_ campaign: Campaign, on tenant: TenantConnection) async throws -> [CampaignGroupResult] {
        try await tenant.query(
            """
            SELECT r.grp, count(*)::int,
                   count(*) FILTER (WHERE m.sent)::int, count(*) FILTER (WHERE m.delivered)::int,
                   count(*) FILTER (WHERE m.clicked)::int,
                   count(*) FILTER (WHERE EXISTS (SELECT 1 FROM offer_redemptions o
                                                  WHERE o.offer_id = \(campaign.offerID) AND o.customer_id = r.customer_id
                                                    AND o.redeemed_at >= r.entered_at))::int,
                   count(r.recovered_at)::int, coalesce(sum(r.recovered_amount_minor), 0)::bigint,
                   round(avg(r.recovered_amount_minor))::bigint,
                   round(avg(r.prior_average_minor) FILTER (WHERE r.recovered_at IS NOT NULL))::bigint
            FROM campaign_recipients r
            -- A recipient's messages of the campaign (two, when a merge brought a second along).
            LEFT JOIN LATERAL (
                SELECT bool_or(m.state IN ('sent', 'delivered')) AS sent, bool_or(m.state = 'delivered') AS delivered,
                       bool_or(m.clicks > 0) AS clicked
                FROM messages m WHERE m.source_ref = 'campaign:' || r.campaign_id AND m.customer_id = r.customer_id
            ) m ON true
            WHERE r.campaign_id = \(campaign.id)
            GROUP BY r.grp ORDER BY r.grp DESC
            """
        ).collect().map { row in
            let (group, recipients, sent, delivered, clicked, redeemed, recovered, revenue, recoveredAverage, prior) =
                try row.decode((String, Int, Int, Int, Int, Int, Int, Int64, Int64?, Int64?).self)
            return CampaignGroupResult(
                group: group, recipients: recipients, sent: sent, delivered: delivered, clicked: clicked,
                redeemed: redeemed, recovered: recovered, revenueMinor: revenue,
                recoveredAverageMinor: recoveredAverage,
                priorAverageMinor: prior)
        }
    }
}
