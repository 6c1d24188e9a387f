import Foundation
import PostgresNIO

/// The SQL of insight (tenant schema): each figure of the overview computed set-based over the
/// capabilities' tables (read only), and the stored snapshot the overview is served from.
enum InsightStore {
    /// Computes the overview as of `asOf` in the tenant's time zone `zone` and currency, the
    /// windows being the 90 days and the twelve calendar months before it; RFM sizes of `previous`
    /// give the drift.
    static func compute(
        asOf: Date, zone: String, currency: String, previous: InsightOverview?, on tenant: TenantConnection
    ) async throws -> InsightOverview {
        let since = asOf.addingTimeInterval(-90 * 86_400)
        var overview = InsightOverview(asOf: asOf, since: since, currency: currency)
        if let row = try await tenant.query(
            """
            SELECT count(*)::int, count(*) FILTER (WHERE order_count > 0)::int, count(*) FILTER (WHERE order_count > 1)::int
            FROM customers WHERE erased_at IS NULL
            """
        ).first {
            let (total, buyers, repeats) = try row.decode((Int, Int, Int).self)
            overview.customers = .init(total: total, buyers: buyers, repeatBuyers: repeats)
        }
        overview.cohorts = try await cohorts(asOf: asOf, zone: zone, on: tenant)
        overview.tiers = try await tenant.query(
            """
            SELECT p.id, p.name, m.tier_code, t.name, t.rank, count(*)::int
            FROM members m JOIN programs p ON p.id = m.program_id
            LEFT JOIN tiers t ON t.program_id = m.program_id AND t.code = m.tier_code
            GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 5 NULLS FIRST, 3
            """
        ).collect().map { row in
            let (program, name, tier, tierName, rank, members) = try row.decode(
                (Int64, String, String?, String?, Int?, Int).self)
            return .init(programID: program, program: name, tier: tier, name: tierName, rank: rank, members: members)
        }
        // Each member's tier when the window began: the `from` of their first change in it, or
        // their tier now when nothing changed.
        overview.tierMoves = try await tenant.query(
            """
            WITH first AS (
                SELECT DISTINCT ON (h.member_id) h.member_id, h.from_tier
                FROM tier_history h WHERE h.changed_at >= \(since) AND h.changed_at < \(asOf)
                ORDER BY h.member_id, h.changed_at, h.id
            )
            SELECT m.program_id, CASE WHEN f.member_id IS NULL THEN m.tier_code ELSE f.from_tier END, m.tier_code,
                   count(*)::int
            FROM members m LEFT JOIN first f ON f.member_id = m.id
            GROUP BY 1, 2, 3 ORDER BY 1, 2 NULLS FIRST, 3 NULLS FIRST
            """
        ).collect().map { row in
            let (program, from, to, members) = try row.decode((Int64, String?, String?, Int).self)
            return .init(programID: program, from: from, to: to, members: members)
        }
        overview.revenueByTier = try await tenant.query(
            """
            SELECT p.id, m.tier_code, count(*)::int, sum(o.amount_minor)::int8
            FROM programs p CROSS JOIN orders o
            LEFT JOIN members m ON m.program_id = p.id AND m.customer_id = o.customer_id
            WHERE o.status IN ('confirmed', 'completed') AND o.currency = \(currency)
              AND o.ordered_at >= \(since) AND o.ordered_at < \(asOf)
            GROUP BY 1, 2 ORDER BY 1, 2 NULLS FIRST
            """
        ).collect().map { row in
            let (program, tier, orders, revenue) = try row.decode((Int64, String?, Int, Int64).self)
            return .init(programID: program, tier: tier, orders: orders, revenueMinor: revenue)
        }
        let earlier = Dictionary(
            (previous?.rfm ?? []).map { ($0.segment, $0.customers) }, uniquingKeysWith: { first, _ in first })
        overview.rfm = try await tenant.query(
            """
            SELECT rfm_segment, count(*)::int FROM customers
            WHERE erased_at IS NULL AND rfm_segment IS NOT NULL GROUP BY 1 ORDER BY 1
            """
        ).collect().map { row in
            let (segment, customers) = try row.decode((String, Int).self)
            return .init(
                segment: segment, customers: customers, previous: previous == nil ? nil : earlier[segment] ?? 0)
        }
        overview.nps = try await tenant.query(
            """
            SELECT to_char(date_trunc('month', responded_at AT TIME ZONE \(zone)), 'YYYY-MM'), count(*)::int,
                   count(*) FILTER (WHERE score >= 9)::int, count(*) FILTER (WHERE score <= 6)::int
            FROM nps_responses
            WHERE responded_at < \(asOf)
              AND responded_at >= (date_trunc('month', \(asOf)::timestamptz AT TIME ZONE \(zone)) - interval '11 months')
                                  AT TIME ZONE \(zone)
            GROUP BY 1 ORDER BY 1
            """
        ).collect().map { row in
            let (month, responses, promoters, detractors) = try row.decode((String, Int, Int, Int).self)
            return .init(month: month, responses: responses, promoters: promoters, detractors: detractors)
        }
        if let row = try await tenant.query(
            """
            SELECT count(DISTINCT campaign_id)::int, count(*) FILTER (WHERE grp = 'treated')::int,
                   count(*) FILTER (WHERE grp = 'treated' AND recovered_at IS NOT NULL)::int,
                   count(*) FILTER (WHERE grp = 'holdout')::int,
                   count(*) FILTER (WHERE grp = 'holdout' AND recovered_at IS NOT NULL)::int,
                   coalesce(sum(recovered_amount_minor) FILTER (WHERE grp = 'treated'), 0)::int8
            FROM campaign_recipients
            """
        ).first {
            let values = try row.decode((Int, Int, Int, Int, Int, Int64).self)
            overview.campaigns = .init(
                campaigns: values.0, treated: values.1, treatedRecovered: values.2, holdout: values.3,
                holdoutRecovered: values.4, recoveredRevenueMinor: values.5)
        }
        overview.community = try await community(since: since, asOf: asOf, on: tenant)
        return overview
    }

    /// Customers by the month of their first order (the twelve months to `asOf`), with their returns
    /// in each of the six months after.
    private static func cohorts(asOf: Date, zone: String, on tenant: TenantConnection) async throws
        -> [InsightOverview.Cohort]
    {
        let rows = try await tenant.query(
            """
            WITH c AS (
                SELECT id, order_count, date_trunc('month', first_order_at AT TIME ZONE \(zone)) AS cohort
                FROM customers
                WHERE erased_at IS NULL AND first_order_at < \(asOf)
                  AND first_order_at >= (date_trunc('month', \(asOf)::timestamptz AT TIME ZONE \(zone))
                                         - interval '11 months') AT TIME ZONE \(zone)
            ), back AS (
                SELECT DISTINCT c.id, c.cohort,
                       ((extract(year FROM m.month) - extract(year FROM c.cohort)) * 12
                        + extract(month FROM m.month) - extract(month FROM c.cohort))::int AS k
                FROM c JOIN orders o ON o.customer_id = c.id
                CROSS JOIN LATERAL (SELECT date_trunc('month', o.ordered_at AT TIME ZONE \(zone)) AS month) AS m
                WHERE o.status IN ('confirmed', 'completed') AND o.ordered_at < \(asOf)
                  AND m.month > c.cohort AND m.month <= c.cohort + interval '6 months'
            )
            SELECT to_char(c.cohort, 'YYYY-MM'), count(*)::int, count(*) FILTER (WHERE c.order_count > 1)::int,
                   ARRAY(SELECT count(b.id)::int FROM generate_series(1, 6) AS k(k)
                         LEFT JOIN back b ON b.cohort = c.cohort AND b.k = k.k GROUP BY k.k ORDER BY k.k)
            FROM c GROUP BY c.cohort ORDER BY c.cohort
            """)
        return try rows.collect().map { row in
            let (month, size, repurchased, returned) = try row.decode((String, Int, Int, [Int]).self)
            return .init(month: month, size: size, repurchased: repurchased, returned: returned)
        }
    }

    private static func community(since: Date, asOf: Date, on tenant: TenantConnection) async throws
        -> InsightOverview.Community
    {
        guard
            let row = try await tenant.query(
                """
                WITH e AS (
                    SELECT id FROM community_events WHERE starts_at >= \(since) AND starts_at < \(asOf)
                ), r AS (
                    SELECT count(*) FILTER (WHERE r.state = 'registered')::int AS registered,
                           count(*) FILTER (WHERE r.checked_in_at IS NOT NULL)::int AS checked_in
                    FROM event_registrations r JOIN e ON e.id = r.event_id
                ), s AS (
                    SELECT c.total_spent_minor, EXISTS (SELECT 1 FROM community_members cm WHERE cm.customer_id = c.id)
                           AS member
                    FROM customers c WHERE c.erased_at IS NULL
                )
                SELECT (SELECT count(*) FROM e)::int, r.registered, r.checked_in,
                       (SELECT count(*) FROM s WHERE member)::int,
                       (SELECT round(avg(total_spent_minor))::int8 FROM s WHERE member),
                       (SELECT round(avg(total_spent_minor))::int8 FROM s WHERE NOT member AND total_spent_minor > 0)
                FROM r
                """
            ).first
        else { return .init() }
        let values = try row.decode((Int, Int, Int, Int, Int64?, Int64?).self)
        return .init(
            events: values.0, registered: values.1, checkedIn: values.2, members: values.3,
            membersAverageSpentMinor: values.4, othersAverageSpentMinor: values.5)
    }
}

extension InsightStore {
    /// The stored overview, if it was ever computed.
    static func snapshot(on tenant: TenantConnection) async throws -> InsightSnapshot? {
        guard
            let row = try await tenant.query(
                "SELECT data::text, computed_at, took_ms FROM insight_snapshots WHERE topic = 'overview'"
            ).first
        else { return nil }
        let (data, computedAt, took) = try row.decode((String, Date, Int).self)
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        guard let overview = try? decoder.decode(InsightOverview.self, from: Data(data.utf8)) else { return nil }
        return InsightSnapshot(overview: overview, computedAt: computedAt, tookMilliseconds: took)
    }

    /// Stores `overview` as the one served.
    static func store(_ overview: InsightOverview, computedAt: Date, took: Int, on tenant: TenantConnection)
        async throws
    {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        let data = String(decoding: try encoder.encode(overview), as: UTF8.self)
        try await tenant.query(
            """
            INSERT INTO insight_snapshots (topic, computed_at, took_ms, data)
            VALUES ('overview', \(computedAt), \(took), \(data)::jsonb)
            ON CONFLICT (topic) DO UPDATE SET computed_at = excluded.computed_at, took_ms = excluded.took_ms,
                                              data = excluded.data
            """)
    }
}
