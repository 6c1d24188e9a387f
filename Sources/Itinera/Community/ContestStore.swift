import Foundation
import PostgresNIO

/// One entry of a photo contest.
struct ContestEntry: Sendable, Equatable {
    var id: Int64
    var eventID: Int64
    var customerID: Int64
    var imageURL: String
    var caption: String?
    var votes: Int
    var winnerRank: Int?
    var createdAt: Date
}

/// The SQL of photo contests (tenant schema): entries, votes within the voting window, winners.
enum ContestStore {
    static let columns = "x.id, x.event_id, x.customer_id, x.image_url, x.caption, x.votes, x.winner_rank, x.created_at"

    static func entry(from row: PQRow, at offset: Int = 0) throws -> ContestEntry {
        func column<Value: PostgresDecodable>(_ index: Int, _ type: Value.Type) throws -> Value {
            try row[offset + index].decode(Value.self)
        }
        return ContestEntry(
            id: try column(0, Int64.self), eventID: try column(1, Int64.self), customerID: try column(2, Int64.self),
            imageURL: try column(3, String.self), caption: try column(4, String?.self), votes: try column(5, Int.self),
            winnerRank: try column(6, Int?.self), createdAt: try column(7, Date.self))
    }

    /// Why an entry or a vote was refused.
    enum Refusal: Error, Equatable {
        case noEvent
        case noEntry
        case noCustomer
        case notAContest
        /// The event is not open (its state).
        case notOpen(String)
        /// Entries closed when voting closed; votes outside the window.
        case closed(String)
        case notAMember(Int64)
        case already
        case ownEntry
    }

    /// Adds the customer's entry in one statement that checks the contest is open for entries
    /// (until its voting closes) and, for a community's contest, that the customer is a member.
    static func enter(
        _ event: Int64, customer: Int64, imageURL: String, caption: String?, on tenant: TenantConnection
    ) async throws -> Result<ContestEntry, Refusal> {
        let rows = try await tenant.query(
            """
            WITH e0 AS (
                SELECT e.id, e.kind, e.state, e.community_id, coalesce(e.voting_closes_at, e.ends_at) AS closes,
                       e.community_id IS NOT NULL
                           AND NOT EXISTS (SELECT 1 FROM community_members c
                                           WHERE c.community_id = e.community_id AND c.customer_id = \(customer))
                           AS outsider
                FROM community_events e WHERE e.id = \(event)
            ), k AS (
                SELECT id FROM customers WHERE id = \(customer) AND erased_at IS NULL
            ), made AS (
                INSERT INTO contest_entries AS x (event_id, customer_id, image_url, caption)
                SELECT e0.id, k.id, \(imageURL), \(caption) FROM e0, k
                WHERE e0.kind = 'contest' AND e0.state = 'open' AND now() < e0.closes AND NOT e0.outsider
                ON CONFLICT (event_id, customer_id) DO NOTHING
                RETURNING \(unescaped: columns)
            )
            SELECT (SELECT count(*) FROM e0)::int, (SELECT count(*) FROM k)::int, e0.kind, e0.state, e0.closes,
                   e0.outsider, e0.community_id, made.*
            FROM (SELECT 1) one LEFT JOIN e0 ON true LEFT JOIN made ON true
            """)
        guard let row = rows.first else { return .failure(.noEvent) }
        let (events, customers, kind, state, closes, outsider, community) = try row.decode(
            (Int, Int, String?, String?, Date?, Bool?, Int64?).self)
        guard events == 1 else { return .failure(.noEvent) }
        guard customers == 1 else { return .failure(.noCustomer) }
        guard kind == "contest" else { return .failure(.notAContest) }
        if let state, state != "open" { return .failure(.notOpen(state)) }
        if let closes, closes <= Date() { return .failure(.closed("Entries closed at \(closes.formatted(.iso8601)).")) }
        if outsider == true, let community { return .failure(.notAMember(community)) }
        guard !row[7].isNull else { return .failure(.already) }
        return .success(try entry(from: row, at: 7))
    }

    /// Records the customer's vote for the entry, once, within the contest's voting window, for
    /// members of the contest's community, never for their own entry; counts it on the entry in the
    /// same statement. `new` is false for a vote already cast.
    static func vote(_ entryID: Int64, event: Int64, customer: Int64, on tenant: TenantConnection) async throws
        -> Result<(entry: ContestEntry, new: Bool), Refusal>
    {
        let rows = try await tenant.query(
            """
            WITH x0 AS (
                SELECT x.id, x.customer_id, e.voting_opens_at, e.voting_closes_at, e.state, e.community_id,
                       e.community_id IS NOT NULL
                           AND NOT EXISTS (SELECT 1 FROM community_members c
                                           WHERE c.community_id = e.community_id AND c.customer_id = \(customer))
                           AS outsider
                FROM contest_entries x JOIN community_events e ON e.id = x.event_id
                WHERE x.id = \(entryID) AND x.event_id = \(event)
            ), k AS (
                SELECT id FROM customers WHERE id = \(customer) AND erased_at IS NULL
            ), cast_ AS (
                INSERT INTO contest_votes (entry_id, customer_id)
                SELECT x0.id, k.id FROM x0, k
                WHERE x0.state = 'open' AND x0.voting_opens_at <= now() AND now() < x0.voting_closes_at
                  AND NOT x0.outsider AND x0.customer_id <> k.id
                ON CONFLICT (entry_id, customer_id) DO NOTHING
                RETURNING entry_id
            ), counted AS (
                UPDATE contest_entries x SET votes = x.votes + 1 FROM cast_ WHERE x.id = cast_.entry_id
                RETURNING \(unescaped: columns)
            )
            SELECT (SELECT count(*) FROM x0)::int, (SELECT count(*) FROM k)::int, x0.state, x0.voting_opens_at,
                   x0.voting_closes_at, x0.outsider, x0.community_id, x0.customer_id = \(customer),
                   EXISTS (SELECT 1 FROM contest_votes v WHERE v.entry_id = \(entryID) AND v.customer_id = \(customer)),
                   counted.*
            FROM (SELECT 1) one LEFT JOIN x0 ON true LEFT JOIN counted ON true
            """)
        guard let row = rows.first else { return .failure(.noEntry) }
        let (entries, customers, state, opens, closes, outsider, community, own, voted) = try row.decode(
            (Int, Int, String?, Date?, Date?, Bool?, Int64?, Bool?, Bool).self)
        guard entries == 1 else { return .failure(.noEntry) }
        guard customers == 1 else { return .failure(.noCustomer) }
        if !row[9].isNull { return .success((try entry(from: row, at: 9), true)) }
        if voted, let current = try await find(entryID, event: event, on: tenant) { return .success((current, false)) }
        if let state, state != "open" { return .failure(.notOpen(state)) }
        guard let opens, let closes, opens <= Date(), Date() < closes else {
            return .failure(
                .closed(
                    opens.map {
                        "Voting runs from \($0.formatted(.iso8601))"
                            + (closes.map { " to \($0.formatted(.iso8601))." } ?? ".")
                    }
                        ?? "This contest has no voting window."))
        }
        if outsider == true, let community { return .failure(.notAMember(community)) }
        if own == true { return .failure(.ownEntry) }
        // A concurrent vote of the same customer was counted first.
        guard let current = try await find(entryID, event: event, on: tenant) else { return .failure(.noEntry) }
        return .success((current, false))
    }

    static func find(_ id: Int64, event: Int64, on tenant: TenantConnection) async throws -> ContestEntry? {
        try await tenant.query(
            "SELECT \(unescaped: columns) FROM contest_entries x WHERE x.id = \(id) AND x.event_id = \(event)"
        ).first.map { try entry(from: $0) }
    }

    /// The contest's entries: winners first by rank, then by votes, then oldest first.
    static func entries(of event: Int64, limit: Int, offset: Int, on tenant: TenantConnection) async throws
        -> [ContestEntry]
    {
        try await tenant.query(
            """
            SELECT \(unescaped: columns) FROM contest_entries x WHERE x.event_id = \(event)
            ORDER BY x.winner_rank NULLS LAST, x.votes DESC, x.id LIMIT \(limit) OFFSET \(offset)
            """
        ).collect().map { try entry(from: $0) }
    }

    /// Makes `chosen` the winners in that order, or, without a choice, the `count` entries with the
    /// most votes (ties to the earlier entry); the previous winners lose their ranks. Answers the
    /// winners, or nil when a chosen entry is not the contest's.
    static func setWinners(_ event: Int64, chosen: [Int64]?, count: Int, on tenant: TenantConnection) async throws
        -> [ContestEntry]?
    {
        let ids: [Int64]
        if let chosen {
            let known = try await tenant.query(
                "SELECT count(*)::int FROM contest_entries WHERE event_id = \(event) AND id = ANY (\(chosen)::bigint[])"
            ).first?.decode(Int.self)
            guard known == Set(chosen).count, Set(chosen).count == chosen.count else { return nil }
            ids = chosen
        } else {
            ids = try await tenant.query(
                """
                SELECT id FROM contest_entries WHERE event_id = \(event) ORDER BY votes DESC, id LIMIT \(count)
                """
            ).collect().map { try $0[0].decode(Int64.self) }
        }
        try await tenant.execute(
            "UPDATE contest_entries SET winner_rank = NULL WHERE event_id = \(event) AND winner_rank IS NOT NULL")
        return try await tenant.query(
            """
            UPDATE contest_entries x SET winner_rank = w.rank
            FROM unnest(\(ids)::bigint[]) WITH ORDINALITY AS w(id, rank)
            WHERE x.id = w.id AND x.event_id = \(event)
            RETURNING \(unescaped: columns)
            """
        ).collect().map { try entry(from: $0) }.sorted { ($0.winnerRank ?? 0) < ($1.winnerRank ?? 0) }
    }
}
