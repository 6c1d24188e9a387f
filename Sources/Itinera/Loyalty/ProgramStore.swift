import Foundation
import PostgresNIO
import Synchronization

/// The SQL of member programmes and their tiers (tenant schema).
enum ProgramStore {
    static let columns = """
        id, name, currency, points_per_unit::text, points_rounding, points_expiry, points_expiry_days, tier_window,
        tier_window_days, downgrade, downgrade_grace_days, enrolment, card_prefix, created_at, updated_at, tiers_revision
        """

    /// How many columns `columns` names.
    static let columnCount = columns.split(separator: ",").count

    /// The programme in `columns` from column `first` of `row` (by default its first); rows may carry
    /// more around them.
    static func program(from row: PQRow, at first: Int = 0) throws -> Program {
        let r = row.makeRandomAccess()
        let f = first
        return ProgramRecord(
            id: try r[f].decode(Int64.self), name: try r[f + 1].decode(String.self),
            currency: try r[f + 2].decode(String.self), pointsPerUnit: try r[f + 3].decode(String.self),
            pointsRounding: try r[f + 4].decode(String.self), pointsExpiry: try r[f + 5].decode(String.self),
            pointsExpiryDays: try r[f + 6].decode(Int?.self), tierWindow: try r[f + 7].decode(String.self),
            tierWindowDays: try r[f + 8].decode(Int?.self), downgrade: try r[f + 9].decode(String.self),
            downgradeGraceDays: try r[f + 10].decode(Int?.self), enrolment: try r[f + 11].decode(String.self),
            cardPrefix: try r[f + 12].decode(String.self), createdAt: try r[f + 13].decode(Date.self),
            updatedAt: try r[f + 14].decode(Date.self), tiersRevision: try r[f + 15].decode(Int64.self)
        ).program
    }

    /// Creates a programme with `tiers` (the template) and its card sequence; a taken name is a 409.
    static func create(_ program: Program, tiers: [Tier], on tenant: TenantConnection) async throws -> Program {
        let (expiry, expiryDays): (String, Int?) =
            switch program.expiry {
            case .never: ("never", nil)
            case .afterDays(let days): ("after_days", days)
            case .endOfYear: ("end_of_year", nil)
            }
        let (window, windowDays): (String, Int?) =
            switch program.window {
            case .rollingDays(let days): ("rolling_days", days)
            case .calendarYear: ("calendar_year", nil)
            }
        let (downgrade, graceDays): (String, Int?) =
            switch program.downgrade {
            case .immediate: ("immediate", nil)
            case .endOfPeriod: ("end_of_period", nil)
            case .graceDays(let days): ("grace_days", days)
            }
        let rows = try await tenant.query(
            """
            INSERT INTO programs (name, currency, points_per_unit, points_rounding, points_expiry, points_expiry_days,
                                  tier_window, tier_window_days, downgrade, downgrade_grace_days, enrolment, card_prefix)
            VALUES (\(program.name), \(program.currency), \("\(program.earning.pointsPerUnit)")::numeric,
                    \(program.earning.rounding.rawValue), \(expiry), \(expiryDays), \(window), \(windowDays),
                    \(downgrade), \(graceDays), \(program.enrolment.rawValue),
                    coalesce(nullif(\(program.cardPrefix), ''), (
                        SELECT c.prefix
                        FROM generate_series(0, 89) n, LATERAL (SELECT ((n + 78) % 90 + 10)::text AS prefix) c
                        WHERE c.prefix NOT IN (SELECT card_prefix FROM programs)
                        ORDER BY n LIMIT 1)))
            ON CONFLICT DO NOTHING
            RETURNING \(unescaped: columns)
            """
        )
        var created: Program?
        for try await row in rows { created = try self.program(from: row) }
        guard let created else {
            for try await _ in try await tenant.query("SELECT 1 FROM programs WHERE name = \(program.name)") {
                throw Problem.conflict("A programme named '\(program.name)' exists already.", field: "name")
            }
            throw Problem.conflict(
                "Another programme's cards begin with \(program.cardPrefix.isEmpty ? "every free prefix" : program.cardPrefix); card numbers must not collide.",
                field: "card_prefix")
        }
        try await tenant.execute("INSERT INTO program_card_sequences (program_id) VALUES (\(created.id))")
        try await saveTiers(tiers, of: created.id, revise: false, on: tenant)
        return created
    }

    static func list(page: PageRequest, on tenant: TenantConnection) async throws -> [Program] {
        let after = try page.afterID()
        var programs: [Program] = []
        for try await row in try await tenant.query(
            """
            SELECT \(unescaped: columns) FROM programs WHERE \(after)::bigint IS NULL OR id > \(after)
            ORDER BY id LIMIT \(page.limit + 1)
            """
        ) { programs.append(try program(from: row)) }
        return programs
    }

    /// Every programme's id.
    static func ids(on tenant: TenantConnection) async throws -> [Int64] {
        var ids: [Int64] = []
        for try await id in try await tenant.query("SELECT id FROM programs ORDER BY id").decode(Int64.self) {
            ids.append(id)
        }
        return ids
    }

    /// How a read of a programme locks its row until the transaction ends.
    enum Lock: String {
        case none = ""
        /// Taken by a replacement of the tiers, so that two cannot interleave.
        case update = "FOR UPDATE"
        /// Taken by each slice of a re-evaluation: a replacement of the tiers waits for the slice.
        case keyShare = "FOR KEY SHARE"
    }

    /// Programme `id`, its row locked as `lock` says.
    static func find(_ id: Int64, lock: Lock = .none, on tenant: TenantConnection) async throws -> Program? {
        let rows = try await tenant.query(
            "SELECT \(unescaped: columns) FROM programs WHERE id = \(id) \(unescaped: lock.rawValue)")
        for try await row in rows { return try program(from: row) }
        return nil
    }

    /// The programme's members; with `customers`, those whose customer id is above `after` and at most
    /// `through` (each bound when set).
    static func memberCount(
        _ id: Int64, customers: (after: Int64?, through: Int64?) = (nil, nil), on tenant: TenantConnection
    ) async throws -> Int {
        for try await count in try await tenant.query(
            """
            SELECT count(*)::int FROM members
            WHERE program_id = \(id) AND (\(customers.after)::bigint IS NULL OR customer_id > \(customers.after))
              AND (\(customers.through)::bigint IS NULL OR customer_id <= \(customers.through))
            """
        ).decode(Int.self) { return count }
        return 0
    }

    /// Where a slice of about `members` members that starts after customer `after` ends: the customer
    /// id of its last member, or nil when the rest of the programme's members fit in it.
    static func sliceEnd(of id: Int64, after: Int64?, members: Int, on tenant: TenantConnection) async throws
        -> Int64?
    {
        let rows = try await tenant.query(
            """
            SELECT customer_id FROM members
            WHERE program_id = \(id) AND customer_id > coalesce(\(after)::bigint, -1)
            ORDER BY customer_id OFFSET \(members - 1) LIMIT 2
            """)
        var ends: [Int64] = []
        for try await end in rows.decode(Int64.self) { ends.append(end) }
        return ends.count == 2 ? ends[0] : nil
    }

    /// A tier of `FROM tiers t` as a JSON object, the way `tier(json:)` reads it; the order path reads
    /// a programme's tiers as an array of these beside the programme.
    static let tierJSON = """
        json_build_object(
            'code', t.code, 'name', t.name, 'rank', t.rank, 'combine', t.combine, 'min_orders', t.min_orders,
            'min_total_spent_minor', t.min_total_spent_minor, 'min_average_order_minor', t.min_average_order_minor,
            'max_average_order_minor', t.max_average_order_minor,
            'max_days_since_last_order', t.max_days_since_last_order, 'min_points', t.min_points,
            'points_multiplier', t.points_multiplier::text, 'benefits', t.benefits)
        """

    /// A tier as `tierJSON` writes it.
    private struct TierRow: Decodable {
        var code: String
        var name: String
        var rank: Int
        var combine: String
        var min_orders: Int?
        var min_total_spent_minor: Int64?
        var min_average_order_minor: Int64?
        var max_average_order_minor: Int64?
        var max_days_since_last_order: Int?
        var min_points: Int64?
        var points_multiplier: String
        var benefits: [String]

        var tier: Tier {
            Tier(
                code: code, name: name, rank: rank, combine: Tier.Combine(rawValue: combine) ?? .all,
                thresholds: TierThresholds(
                    minOrders: min_orders, minTotalSpentMinor: min_total_spent_minor,
                    minAverageOrderMinor: min_average_order_minor, maxAverageOrderMinor: max_average_order_minor,
                    maxDaysSinceLastOrder: max_days_since_last_order, minPoints: min_points),
                pointsMultiplier: Decimal(string: points_multiplier) ?? 1, benefits: benefits)
        }
    }

    /// The tier in `json` (`tierJSON`).
    static func tier(json: String) throws -> Tier {
        try JSONDecoder().decode(TierRow.self, from: Data(json.utf8)).tier
    }

    /// The tiers in `json`, an array of `tierJSON` objects. Every order of a member reads its
    /// programme's tiers this way, and decoding them costs more than the rest of its evaluation, so
    /// tier lists already decoded are kept by their text (the same text is the same tiers, whatever
    /// tenant or revision it came from), up to `decodedTierLimit` of them.
    static func tiers(json: String) throws -> [Tier] {
        if let tiers = decodedTiers.withLock({ $0[json] }) { return tiers }
        let tiers = try JSONDecoder().decode([TierRow].self, from: Data(json.utf8)).map(\.tier)
        decodedTiers.withLock { decoded in
            if decoded.count >= decodedTierLimit { decoded.removeAll(keepingCapacity: true) }
            decoded[json] = tiers
        }
        return tiers
    }

    /// Most tier lists kept decoded: a few kilobytes each.
    static let decodedTierLimit = 1_000
    private static let decodedTiers = Mutex<[String: [Tier]]>([:])

    /// The programme's tiers, best first, each with the members holding it now (counted only when
    /// `counts` is set: a count reads every member of the tier).
    static func tiers(of id: Int64, counts: Bool = false, on tenant: TenantConnection) async throws
        -> [(tier: Tier, members: Int)]
    {
        let rows = try await tenant.query(
            """
            SELECT \(unescaped: tierJSON)::text,
                   CASE WHEN \(counts) THEN (SELECT count(*)::int FROM members m
                                             WHERE m.program_id = t.program_id AND m.tier_code = t.code)
                        ELSE 0 END
            FROM tiers t WHERE t.program_id = \(id) ORDER BY t.rank DESC
            """
        )
        var tiers: [(Tier, Int)] = []
        for try await (json, members) in rows.decode((String, Int).self) {
            tiers.append((try tier(json: json), members))
        }
        return tiers
    }

    /// Replaces the programme's tiers with `tiers` and answers the programme's tiers revision, counted
    /// up when `revise` (a replacement, not the template a new programme starts with).
    @discardableResult
    static func saveTiers(_ tiers: [Tier], of id: Int64, revise: Bool = true, on tenant: TenantConnection)
        async throws -> Int64
    {
        try await tenant.execute("DELETE FROM tiers WHERE program_id = \(id)")
        for tier in tiers {
            let t = tier.thresholds
            let benefits = String(decoding: try JSONEncoder().encode(tier.benefits), as: UTF8.self)
            try await tenant.execute(
                """
                INSERT INTO tiers (program_id, code, name, rank, combine, min_orders, min_total_spent_minor,
                                   min_average_order_minor, max_average_order_minor, max_days_since_last_order,
                                   min_points, points_multiplier, benefits)
                VALUES (\(id), \(tier.code), \(tier.name), \(tier.rank), \(tier.combine.rawValue), \(t.minOrders),
                        \(t.minTotalSpentMinor), \(t.minAverageOrderMinor), \(t.maxAverageOrderMinor),
                        \(t.maxDaysSinceLastOrder), \(t.minPoints), \("\(tier.pointsMultiplier)")::numeric,
                        \(benefits)::jsonb)
                """
            )
        }
        let rows = try await tenant.query(
            """
            UPDATE programs SET updated_at = now(), tiers_revision = tiers_revision + CASE WHEN \(revise) THEN 1 ELSE 0 END
            WHERE id = \(id) RETURNING tiers_revision
            """)
        for try await revision in rows.decode(Int64.self) { return revision }
        throw Problem.notFound("programme", String(id))
    }
}
