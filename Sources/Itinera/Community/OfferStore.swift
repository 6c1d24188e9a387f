import Foundation
import PostgresNIO

/// The SQL of community offers, their codes and redemptions (tenant schema).
enum OfferStore {
    static let columns = """
        o.id, o.name, o.benefit, o.community_id, o.program_id, o.min_tier, o.code_mode, o.code_prefix, o.code,
        o.max_redemptions, o.per_customer_limit, o.valid_from, o.valid_until, o.state, o.redeemed_count,
        o.created_at, o.updated_at
        """

    static func offer(from row: PQRow, at offset: Int = 0) throws -> Offer {
        func column<Value: PostgresDecodable>(_ index: Int, _ type: Value.Type) throws -> Value {
            try row[offset + index].decode(Value.self)
        }
        return Offer(
            id: try column(0, Int64.self), name: try column(1, String.self), benefit: try column(2, String.self),
            communityID: try column(3, Int64?.self), programID: try column(4, Int64?.self),
            minTier: try column(5, String?.self),
            codeMode: Offer.CodeMode(rawValue: try column(6, String.self)) ?? .perRecipient,
            codePrefix: try column(7, String.self), code: try column(8, String?.self),
            maxRedemptions: try column(9, Int?.self), perCustomerLimit: try column(10, Int.self),
            validFrom: try column(11, Date.self), validUntil: try column(12, Date.self),
            state: try column(13, String.self), redeemedCount: try column(14, Int.self),
            createdAt: try column(15, Date.self), updatedAt: try column(16, Date.self))
    }

    /// Inserts the offer when its community and tier exist; nil otherwise (`EventStore.Reference`).
    static func insert(_ o: Offer, on tenant: TenantConnection) async throws -> Result<Offer, EventStore.Reference> {
        let rows = try await tenant.query(
            """
            WITH ok AS (
                SELECT \(o.communityID)::bigint IS NULL
                           OR EXISTS (SELECT 1 FROM communities c WHERE c.id = \(o.communityID)) AS community,
                       \(o.minTier)::text IS NULL
                           OR EXISTS (SELECT 1 FROM tiers t WHERE t.program_id = \(o.programID)
                                                            AND t.code = \(o.minTier)) AS tier
            ), made AS (
                INSERT INTO offers AS o (name, benefit, community_id, program_id, min_tier, code_mode, code_prefix, code,
                                         max_redemptions, per_customer_limit, valid_from, valid_until)
                SELECT \(o.name), \(o.benefit), \(o.communityID), \(o.programID), \(o.minTier), \(o.codeMode.rawValue),
                       \(o.codePrefix), \(o.code), \(o.maxRedemptions), \(o.perCustomerLimit), \(o.validFrom),
                       \(o.validUntil)
                FROM ok WHERE ok.community AND ok.tier
                RETURNING \(unescaped: columns)
            )
            SELECT ok.community, ok.tier, made.* FROM ok LEFT JOIN made ON true
            """)
        guard let row = rows.first else { return .failure(.noCommunity) }
        let (community, tier) = try row.decode((Bool, Bool).self)
        guard community else { return .failure(.noCommunity) }
        guard tier else { return .failure(.noTier) }
        return .success(try offer(from: row, at: 2))
    }

    static func find(_ id: Int64, on tenant: TenantConnection) async throws -> Offer? {
        try await tenant.query("SELECT \(unescaped: columns) FROM offers o WHERE o.id = \(id)").first.map {
            try offer(from: $0)
        }
    }

    static func list(after: Int64?, limit: Int, on tenant: TenantConnection) async throws -> [Offer] {
        try await tenant.query(
            """
            SELECT \(unescaped: columns) FROM offers o
            WHERE \(after)::bigint IS NULL OR o.id > \(after) ORDER BY o.id LIMIT \(limit)
            """
        ).collect().map { try offer(from: $0) }
    }

    static func count(on tenant: TenantConnection) async throws -> Int {
        try await tenant.query("SELECT count(*)::int FROM offers").first?.decode(Int.self) ?? 0
    }

    static func retire(_ id: Int64, on tenant: TenantConnection) async throws -> Offer? {
        try await tenant.query(
            """
            UPDATE offers o SET state = 'retired', updated_at = now() WHERE o.id = \(id)
            RETURNING \(unescaped: columns)
            """
        ).first.map { try offer(from: $0) }
    }

    /// Issues the customer's code of a per-recipient offer (the code already issued when there is
    /// one); nil when the customer does not exist. `new` tells whether this call issued it.
    static func issue(_ offer: Offer, to customer: Int64, source: String, on tenant: TenantConnection) async throws
        -> (code: OfferCode, new: Bool)?
    {
        let rows = try await tenant.query(
            """
            WITH k AS (
                SELECT id FROM customers WHERE id = \(customer) AND erased_at IS NULL
            ), made AS (
                INSERT INTO offer_codes (code, offer_id, customer_id, source)
                SELECT \(Offer.code(prefix: offer.codePrefix)), \(offer.id), k.id, \(source) FROM k
                ON CONFLICT (offer_id, customer_id) DO NOTHING
                RETURNING code, issued_at, source
            )
            SELECT made.code, made.issued_at, made.source, c.code, c.issued_at, c.source
            FROM k LEFT JOIN made ON true
                   LEFT JOIN offer_codes c ON c.offer_id = \(offer.id) AND c.customer_id = k.id
            """)
        guard let row = rows.first else { return nil }
        let (code, issued, source, oldCode, oldIssued, oldSource) = try row.decode(
            (String?, Date?, String?, String?, Date?, String?).self)
        if let code, let issued, let source {
            return (
                OfferCode(code: code, offerID: offer.id, customerID: customer, source: source, issuedAt: issued), true
            )
        }
        guard let oldCode, let oldIssued, let oldSource else { return nil }
        return (
            OfferCode(code: oldCode, offerID: offer.id, customerID: customer, source: oldSource, issuedAt: oldIssued),
            false
        )
    }

    /// Why a redemption was refused.
    enum Refusal: Error, Equatable {
        case noOffer
        case noCustomer
        case retired
        case notYetValid(Date)
        case expired(Date)
        case gated(Gate)
        case wrongCode
        case notTheirOrder
        case exhausted(Int)
        case customerLimit(Int)
    }

    /// Redeems the offer for the customer. The first statement reads the gates and takes the offer's
    /// row lock in the `UPDATE` that counts the redemption against the total limit (concurrent
    /// redemptions of one offer queue there); the second, whose snapshot is taken under that lock,
    /// inserts the redemption only while the customer is below the per-customer limit. A refusal of
    /// the second throws, and the transaction's rollback takes back the count.
    static func redeem(
        _ id: Int64, customer: Int64, code: String?, order: Int64?, on tenant: TenantConnection
    ) async throws -> Result<(OfferRedemption, Offer), Refusal> {
        let rows = try await tenant.query(
            """
            WITH o0 AS (
                SELECT o.*, (SELECT t.rank FROM tiers t WHERE t.program_id = o.program_id AND t.code = o.min_tier)
                                AS need
                FROM offers o WHERE o.id = \(id)
            ), k AS (
                SELECT id FROM customers WHERE id = \(customer) AND erased_at IS NULL FOR SHARE
            ), m AS (
                SELECT t.rank, mm.tier_code
                FROM o0 JOIN members mm ON mm.program_id = o0.program_id AND mm.customer_id = \(customer)
                     LEFT JOIN tiers t ON t.program_id = mm.program_id AND t.code = mm.tier_code
            ), gate AS (
                SELECT o0.community_id IS NOT NULL
                           AND NOT EXISTS (SELECT 1 FROM community_members c
                                           WHERE c.community_id = o0.community_id AND c.customer_id = \(customer))
                           AS not_member,
                       o0.need IS NOT NULL AND coalesce((SELECT rank FROM m), 0) < o0.need AS below_tier,
                       CASE WHEN o0.code_mode = 'single'
                            THEN \(code)::text IS NOT NULL AND \(code) <> o0.code
                            ELSE NOT EXISTS (SELECT 1 FROM offer_codes c
                                             WHERE c.offer_id = o0.id AND c.customer_id = \(customer)
                                               AND (\(code)::text IS NULL OR c.code = \(code)))
                       END AS wrong_code,
                       \(order)::bigint IS NOT NULL
                           AND NOT EXISTS (SELECT 1 FROM orders r WHERE r.id = \(order) AND r.customer_id = \(customer))
                           AS not_their_order
                FROM o0
            ), taken AS (
                UPDATE offers o SET redeemed_count = o.redeemed_count + 1, updated_at = now()
                FROM gate, k
                WHERE o.id = \(id) AND o.state = 'active' AND now() >= o.valid_from AND now() < o.valid_until
                  AND NOT (gate.not_member OR gate.below_tier OR gate.wrong_code OR gate.not_their_order)
                  AND (o.max_redemptions IS NULL OR o.redeemed_count < o.max_redemptions)
                RETURNING \(unescaped: columns)
            )
            SELECT (SELECT count(*) FROM o0)::int, (SELECT count(*) FROM k)::int, o0.state, o0.valid_from,
                   o0.valid_until, gate.not_member, gate.below_tier, gate.wrong_code, gate.not_their_order,
                   o0.community_id, o0.program_id, o0.min_tier, (SELECT tier_code FROM m), o0.max_redemptions,
                   taken.*
            FROM (SELECT 1) one LEFT JOIN o0 ON true LEFT JOIN gate ON true LEFT JOIN taken ON true
            """)
        guard let row = rows.first else { return .failure(.noOffer) }
        let (offers, customers, state, from, until, notMember, belowTier, wrongCode, notTheirs) = try row.decode(
            (Int, Int, String?, Date?, Date?, Bool?, Bool?, Bool?, Bool?).self)
        let (community, program, tier, has, limit) = (
            try row[9].decode(Int64?.self), try row[10].decode(Int64?.self), try row[11].decode(String?.self),
            try row[12].decode(String?.self), try row[13].decode(Int?.self)
        )
        guard offers == 1 else { return .failure(.noOffer) }
        guard customers == 1 else { return .failure(.noCustomer) }
        if state == "retired" { return .failure(.retired) }
        if let from, from > Date() { return .failure(.notYetValid(from)) }
        if let until, until <= Date() { return .failure(.expired(until)) }
        if notMember == true, let community { return .failure(.gated(.notAMember(community: community))) }
        if belowTier == true, let program, let tier {
            return .failure(.gated(.belowTier(program: program, tier: tier, has: has)))
        }
        if wrongCode == true { return .failure(.wrongCode) }
        if notTheirs == true { return .failure(.notTheirOrder) }
        guard !row[14].isNull else { return .failure(.exhausted(limit ?? 0)) }
        let offer = try offer(from: row, at: 14)
        let inserted = try await tenant.query(
            """
            INSERT INTO offer_redemptions (offer_id, customer_id, code, order_id)
            SELECT \(id), \(customer),
                   coalesce(\(offer.code), (SELECT c.code FROM offer_codes c
                                            WHERE c.offer_id = \(id) AND c.customer_id = \(customer))),
                   \(order)
            WHERE (SELECT count(*) FROM offer_redemptions r WHERE r.offer_id = \(id) AND r.customer_id = \(customer))
                  < \(offer.perCustomerLimit)
            RETURNING id, code, redeemed_at
            """)
        guard let made = inserted.first else { return .failure(.customerLimit(offer.perCustomerLimit)) }
        let (redemption, usedCode, at) = try made.decode((Int64, String, Date).self)
        return .success(
            (
                OfferRedemption(
                    id: redemption, offerID: id, customerID: customer, code: usedCode, orderID: order, redeemedAt: at),
                offer
            ))
    }

    /// The offer's redemptions, newest first.
    static func redemptions(of offer: Int64, before: Int64?, limit: Int, on tenant: TenantConnection) async throws
        -> [OfferRedemption]
    {
        try await tenant.query(
            """
            SELECT id, offer_id, customer_id, code, order_id, redeemed_at FROM offer_redemptions
            WHERE offer_id = \(offer) AND (\(before)::bigint IS NULL OR id < \(before))
            ORDER BY id DESC LIMIT \(limit)
            """
        ).collect().map { row in
            let (id, offer, customer, code, order, at) = try row.decode(
                (Int64, Int64, Int64, String, Int64?, Date).self)
            return OfferRedemption(
                id: id, offerID: offer, customerID: customer, code: code, orderID: order, redeemedAt: at)
        }
    }
}
