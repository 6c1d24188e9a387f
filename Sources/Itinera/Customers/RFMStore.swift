import Foundation
import PostgresNIO

/// The set-based RFM recomputation (tenant schema).
enum RFMStore {
    /// What a recomputation did.
    struct Summary: Sendable {
        var scored: Int
        var cleared: Int
        var segments: [String: Int]
        var computedAt: Date
    }

    /// Scores every customer with an order against all the others, in one statement, and clears the
    /// scores of customers left without one. A score is `1 + floor(5 × percent rank)`, so customers
    /// with equal figures get equal scores and the lowest figures always score 1.
    static func recompute(on tenant: TenantConnection) async throws -> Summary {
        let rows = try await tenant.query(
            """
            WITH scored AS (
                SELECT id, r, f, m, \(unescaped: RFM.segmentSQL) AS segment
                FROM (
                    SELECT id,
                           least(5, 1 + floor(percent_rank() OVER (ORDER BY last_order_at) * 5))::smallint AS r,
                           least(5, 1 + floor(percent_rank() OVER (ORDER BY order_count) * 5))::smallint AS f,
                           least(5, 1 + floor(percent_rank() OVER (ORDER BY total_spent_minor) * 5))::smallint AS m
                    FROM customers WHERE order_count > 0 AND erased_at IS NULL
                ) ranked
            ), updated AS (
                UPDATE customers c SET rfm_recency = s.r, rfm_frequency = s.f, rfm_monetary = s.m,
                    rfm_segment = s.segment, rfm_computed_at = now()
                FROM scored s WHERE c.id = s.id
                RETURNING s.segment
            ), cleared AS (
                UPDATE customers SET rfm_recency = NULL, rfm_frequency = NULL, rfm_monetary = NULL,
                    rfm_segment = NULL, rfm_computed_at = NULL
                WHERE (order_count = 0 OR erased_at IS NOT NULL) AND rfm_segment IS NOT NULL
                RETURNING 1
            )
            SELECT segment, count(*)::int, (SELECT count(*) FROM cleared)::int, now()
            FROM updated GROUP BY segment
            UNION ALL
            SELECT NULL, 0, (SELECT count(*) FROM cleared)::int, now()
            """
        )
        var summary = Summary(scored: 0, cleared: 0, segments: [:], computedAt: Date())
        for try await (segment, count, cleared, at) in rows.decode((String?, Int, Int, Date).self) {
            if let segment {
                summary.segments[segment] = count
                summary.scored += count
            }
            summary.cleared = cleared
            summary.computedAt = at
        }
        return summary
    }
}
