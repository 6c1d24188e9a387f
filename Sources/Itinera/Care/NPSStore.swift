import Foundation
import PostgresNIO

/// The SQL of NPS answers (tenant schema): recording one (at most one per order), the figures over
/// a range by period, destination, product category, tier and stage, and care's own settings.
enum NPSStore {
    enum Refusal: Error, Equatable {
        case noCustomer
        case notTheirOrder
        case answered
    }

    static let columns = """
        r.id, r.customer_id, r.order_id, r.score::int, r.comment, r.stage, r.source, r.complaint_id, r.responded_at
        """

    static func response(from row: PQRow) throws -> NPSResponse {
        NPSResponse(
            id: try row[0].decode(Int64.self), customerID: try row[1].decode(Int64.self),
            orderID: try row[2].decode(Int64?.self), score: try row[3].decode(Int.self),
            comment: try row[4].decode(String?.self), stage: try row[5].decode(String.self),
            source: try row[6].decode(String.self), complaintID: try row[7].decode(Int64?.self),
            respondedAt: try row[8].decode(Date.self))
    }

    /// Records an answer with the order's destination and category and the customer's tier (in the
    /// first programme they are a member of) as they are now.
    static func record(
        customer: Int64, order: Int64?, score: Int, comment: String?, stage: String, source: String, at: Date,
        on tenant: TenantConnection
    ) async throws -> Result<NPSResponse, Refusal> {
        let rows = try await tenant.query(
            """
            WITH c AS (
                SELECT id FROM customers WHERE id = \(customer) AND erased_at IS NULL FOR SHARE
            ), o AS (
                SELECT o.id, o.destination, o.product_category FROM orders o JOIN c ON o.customer_id = c.id
                WHERE o.id = \(order)
            ), r AS (
                INSERT INTO nps_responses AS r (customer_id, order_id, score, comment, stage, source, destination,
                                                product_category, tier, responded_at)
                SELECT c.id, o.id, \(score), \(comment), \(stage), \(source), o.destination, o.product_category,
                       (SELECT m.tier_code FROM members m WHERE m.customer_id = c.id ORDER BY m.program_id LIMIT 1),
                       \(at)
                FROM c LEFT JOIN o ON true
                WHERE \(order)::bigint IS NULL OR o.id IS NOT NULL
                ON CONFLICT (order_id) WHERE order_id IS NOT NULL DO NOTHING
                RETURNING \(unescaped: columns)
            )
            SELECT (SELECT count(*) FROM c)::int, (SELECT count(*) FROM o)::int, \(unescaped: columns)
            FROM (SELECT 1) AS one LEFT JOIN r ON true
            """)
        guard let row = rows.first else { return .failure(.noCustomer) }
        if try row[0].decode(Int.self) == 0 { return .failure(.noCustomer) }
        if order != nil, try row[1].decode(Int.self) == 0 { return .failure(.notTheirOrder) }
        guard try row[2].decode(Int64?.self) != nil else { return .failure(.answered) }
        return .success(
            NPSResponse(
                id: try row[2].decode(Int64.self), customerID: try row[3].decode(Int64.self),
                orderID: try row[4].decode(Int64?.self), score: try row[5].decode(Int.self),
                comment: try row[6].decode(String?.self), stage: try row[7].decode(String.self),
                source: try row[8].decode(String.self), complaintID: nil, respondedAt: try row[10].decode(Date.self)))
    }

    /// Links the complaint a detractor's answer opened.
    static func link(_ id: Int64, complaint: Int64, on tenant: TenantConnection) async throws {
        try await tenant.query("UPDATE nps_responses SET complaint_id = \(complaint) WHERE id = \(id)")
    }

    /// The customer who made the order, and whether it has been answered.
    static func survey(order: Int64, on tenant: TenantConnection) async throws -> (customer: Int64, answered: Bool)? {
        try await tenant.query(
            """
            SELECT o.customer_id, EXISTS (SELECT 1 FROM nps_responses r WHERE r.order_id = o.id)
            FROM orders o JOIN customers c ON c.id = o.customer_id AND c.erased_at IS NULL
            WHERE o.id = \(order)
            """
        ).first.map { (try $0[0].decode(Int64.self), try $0[1].decode(Bool.self)) }
    }

    /// Answers newest first, after the cursor `after`, of a customer.
    static func list(customer: Int64?, after: (micros: Int64, id: Int64)?, limit: Int, on tenant: TenantConnection)
        async throws -> [NPSResponse]
    {
        try await tenant.query(
            """
            SELECT \(unescaped: columns) FROM nps_responses r
            WHERE (\(customer)::bigint IS NULL OR r.customer_id = \(customer))
              AND (\(after?.micros)::bigint IS NULL
                   OR (r.responded_at, r.id)
                      < (timestamptz 'epoch' + \(after?.micros) * interval '1 microsecond', \(after?.id)::bigint))
            ORDER BY r.responded_at DESC, r.id DESC
            LIMIT \(limit)
            """
        ).collect().map(response(from:))
    }

    /// One line of the figures: its dimension (`all`, `period`, `destination`, `product_category`,
    /// `tier`, `stage`), its key (nil: none recorded), and the counts.
    struct ReportLine: Sendable, Equatable {
        var dimension: String
        var key: String?
        var counts: NPSCounts
    }

    /// The answers given in `[from, to)`, counted overall and once per period of the tenant's
    /// calendar (`unit`), destination, product category, tier and stage.
    static func report(from: Date, to: Date, unit: String, timezone: String, on tenant: TenantConnection)
        async throws -> [ReportLine]
    {
        try await tenant.query(
            """
            WITH r AS (
                SELECT to_char(date_trunc(\(unit), r.responded_at AT TIME ZONE \(timezone)), 'YYYY-MM-DD') AS period,
                       r.destination, r.product_category, r.tier, r.stage, r.score
                FROM nps_responses r WHERE r.responded_at >= \(from) AND r.responded_at < \(to)
            )
            SELECT CASE WHEN GROUPING(period) = 0 THEN 'period' WHEN GROUPING(destination) = 0 THEN 'destination'
                        WHEN GROUPING(product_category) = 0 THEN 'product_category'
                        WHEN GROUPING(tier) = 0 THEN 'tier' WHEN GROUPING(stage) = 0 THEN 'stage' ELSE 'all' END,
                   coalesce(period, destination, product_category, tier, stage), count(*)::int,
                   count(*) FILTER (WHERE score >= 9)::int, count(*) FILTER (WHERE score BETWEEN 7 AND 8)::int,
                   count(*) FILTER (WHERE score <= 6)::int
            FROM r GROUP BY GROUPING SETS ((), (period), (destination), (product_category), (tier), (stage))
            ORDER BY 1, 2 NULLS FIRST
            """
        ).collect().map { row in
            let (dimension, key, responses, promoters, passives, detractors) = try row.decode(
                (String, String?, Int, Int, Int, Int).self)
            return ReportLine(
                dimension: dimension, key: key,
                counts: NPSCounts(
                    responses: responses, promoters: promoters, passives: passives, detractors: detractors))
        }
    }

    /// Whether a detractor's answer opens a complaint, and of what severity.
    static func detractorComplaints(on tenant: TenantConnection) async throws -> (open: Bool, severity: String) {
        try await tenant.query("SELECT detractor_complaints, detractor_severity FROM care_settings").first.map {
            (try $0[0].decode(Bool.self), try $0[1].decode(String.self))
        } ?? (false, "normal")
    }

    static func setDetractorComplaints(open: Bool, severity: String, on tenant: TenantConnection) async throws {
        try await tenant.query(
            "UPDATE care_settings SET detractor_complaints = \(open), detractor_severity = \(severity)")
    }
}

extension NPSStore {
    /// A merge: the merged customer's answers become the survivor's.
    static func move(customer merged: Int64, to survivor: Int64, on tenant: TenantConnection) async throws {
        try await tenant.query("UPDATE nps_responses SET customer_id = \(survivor) WHERE customer_id = \(merged)")
    }

    /// An erasure: the comments go; the scores stay for the figures.
    static func erase(customer: Int64, on tenant: TenantConnection) async throws {
        try await tenant.query("UPDATE nps_responses SET comment = NULL WHERE customer_id = \(customer)")
    }
}
