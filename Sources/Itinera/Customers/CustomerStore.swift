import Foundation
import PostgresNIO

/// The SQL of customers, their identities and consents (tenant schema).
enum CustomerStore {
    /// What a customer id finds.
    enum Lookup: Sendable {
        case found(Customer)
        case erased(at: Date)
        case merged(into: Int64)
        case missing
    }

    /// The select list `customer(from:)` reads, for `FROM customers c`: the row, then its identities
    /// and consents as JSON (times as epoch seconds) so one round trip brings the whole view.
    static let viewColumns = """
        c.id, c.name, c.gender, c.birth_year, c.region, c.city, c.language, c.attributes::text,
        c.order_count, c.total_spent_minor, c.first_order_at, c.last_order_at,
        c.rfm_recency, c.rfm_frequency, c.rfm_monetary, c.rfm_segment, c.rfm_computed_at,
        c.created_at, c.updated_at,
        (SELECT coalesce(json_agg(json_build_object('kind', i.kind, 'source', i.source, 'value', i.value)
                                  ORDER BY i.kind, i.source, i.value), '[]')
         FROM customer_identities i WHERE i.customer_id = c.id)::text,
        (SELECT coalesce(json_agg(json_build_object('channel', k.channel, 'purpose', k.purpose,
                                                    'granted', k.granted, 'source', k.source,
                                                    'recorded_at', extract(epoch FROM k.recorded_at))
                                  ORDER BY k.channel, k.purpose), '[]')
         FROM consents k WHERE k.customer_id = c.id)::text,
        ARRAY(SELECT t.tag FROM customer_tags t WHERE t.customer_id = c.id ORDER BY t.tag)
        """

    static func customer(from row: PQRow) throws -> Customer {
        let c = row.makeRandomAccess()
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        var rfm: RFMScore?
        if let recency = try c[12].decode(Int?.self), let frequency = try c[13].decode(Int?.self),
            let monetary = try c[14].decode(Int?.self), let segment = try c[15].decode(String?.self),
            let computedAt = try c[16].decode(Date?.self)
        {
            rfm = RFMScore(
                recency: recency, frequency: frequency, monetary: monetary, segment: segment, computedAt: computedAt)
        }
        return Customer(
            id: try c[0].decode(Int64.self),
            profile: CustomerProfile(
                name: try c[1].decode(String?.self),
                gender: try c[2].decode(String?.self).flatMap(CustomerProfile.Gender.init(rawValue:)),
                birthYear: try c[3].decode(Int?.self),
                region: try c[4].decode(String?.self),
                city: try c[5].decode(String?.self),
                language: try c[6].decode(String?.self),
                attributes: try c[7].decode(String.self)
            ),
            identities: try decoder.decode([CustomerIdentity].self, from: Data(try c[19].decode(String.self).utf8)),
            consents: try decoder.decode([Consent].self, from: Data(try c[20].decode(String.self).utf8)),
            tags: try c[21].decode([String].self),
            figures: ValueFigures(
                orderCount: try c[8].decode(Int.self),
                totalSpentMinor: try c[9].decode(Int64.self),
                firstOrderAt: try c[10].decode(Date?.self),
                lastOrderAt: try c[11].decode(Date?.self)
            ),
            rfm: rfm,
            createdAt: try c[17].decode(Date.self),
            updatedAt: try c[18].decode(Date.self)
        )
    }

    /// The customer with this id, or what became of it.
    static func find(_ id: Int64, on tenant: TenantConnection) async throws -> Lookup {
        try lookup(from: try await tenant.connection.pipeline(try findStatements(id)))
    }

    /// The reads of `find`, to go in one pipeline (prepared: every customer view runs them): the
    /// customer's row, and the customer it was merged into.
    static func findStatements(_ id: Int64) throws -> [PQStatement] {
        [
            try PQStatement(prepared: "SELECT \(viewColumns), c.erased_at FROM customers c WHERE c.id = $1").binding(
                id),
            try PQStatement(prepared: "SELECT into_id FROM customer_merges WHERE merged_id = $1").binding(id),
        ]
    }

    /// What the rows of `findStatements` say.
    static func lookup(from rows: [PQRows]) throws -> Lookup {
        if let row = rows[0].first {
            if let erasedAt = try row[22].decode(Date?.self) { return .erased(at: erasedAt) }
            return .found(try customer(from: row))
        }
        return try rows[1].first.map { .merged(into: try $0[0].decode(Int64.self)) } ?? .missing
    }

    /// The customer that `id` was merged into, when it was.
    static func mergedInto(_ id: Int64, on tenant: TenantConnection) async throws -> Int64? {
        let merges = try await tenant.query("SELECT into_id FROM customer_merges WHERE merged_id = \(id)")
        for try await into in merges.decode(Int64.self) { return into }
        return nil
    }

    /// The customer, or the 404 that says why there is none.
    static func require(_ id: Int64, on tenant: TenantConnection) async throws -> Customer {
        try require(id, try await find(id, on: tenant))
    }

    /// The customer `lookup` found, or the 404 that says why there is none.
    static func require(_ id: Int64, _ lookup: Lookup) throws -> Customer {
        switch lookup {
        case .found(let customer): return customer
        case .erased(let at): throw Problem.customerErased(id, at: at)
        case .merged(let into): throw Problem.customerMerged(id, into: into)
        case .missing: throw Problem.notFound("customer", String(id))
        }
    }

    /// Checks that the customer exists and is not erased and, when `locking`, locks its row against a
    /// concurrent merge or erasure for the rest of the transaction.
    static func requireLive(_ id: Int64, locking: Bool = true, on tenant: TenantConnection) async throws {
        let rows = try await tenant.query(
            "SELECT erased_at FROM customers WHERE id = \(id) \(unescaped: locking ? "FOR NO KEY UPDATE" : "")")
        for try await erasedAt in rows.decode(Date?.self) {
            if let erasedAt { throw Problem.customerErased(id, at: erasedAt) }
            return
        }
        if let into = try await mergedInto(id, on: tenant) { throw Problem.customerMerged(id, into: into) }
        throw Problem.notFound("customer", String(id))
    }

    /// What a customer list is narrowed to.
    struct Filter: Sendable {
        /// Customers holding one of these identities.
        var identities: [CustomerIdentity] = []
        /// Customers whose name starts with this, ignoring case.
        var namePrefix: String?
        var tag: String?
        var rfmSegment: String?
        /// A segment's rule.
        var rule: SegmentRule?
    }

    /// How many customers that are not erased a segment's rule holds.
    static func count(_ rule: SegmentRule, on tenant: TenantConnection) async throws -> Int {
        var query = QueryBuilder()
        query.append("SELECT count(*)::int FROM customers c WHERE c.erased_at IS NULL AND ")
        rule.compile(into: &query)
        for try await count in try await tenant.query(query.query).decode(Int.self) {
            return count
        }
        return 0
    }

    /// One page of customers that are not erased and pass `filter`, newest first.
    static func list(_ filter: Filter, page: PageRequest, on tenant: TenantConnection) async throws -> [Customer] {
        var afterMicros: Int64?
        var afterID: Int64?
        if let after = page.after {
            guard after.count == 2, let micros = Int64(after[0]), let id = Int64(after[1]) else {
                throw Problem.badCursor
            }
            (afterMicros, afterID) = (micros, id)
        }
        let pattern = filter.namePrefix.map {
            $0.lowercased().replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
                .replacingOccurrences(of: "_", with: "\\_") + "%"
        }
        let byIdentity = !filter.identities.isEmpty
        var query = QueryBuilder()
        query.append("SELECT \(viewColumns) FROM customers c WHERE c.erased_at IS NULL AND (NOT ")
        query.append(bound: byIdentity)
        query.append(
            """
             OR c.id IN (SELECT i.customer_id FROM customer_identities i
                         JOIN unnest(
            """)
        query.append(bound: filter.identities.map(\.kind.rawValue))
        query.append("::text[], ")
        query.append(bound: filter.identities.map(\.source))
        query.append("::text[], ")
        query.append(bound: filter.identities.map(\.value))
        query.append(
            """
            ::text[]) AS w(kind, source, value)
                           ON (i.kind, i.source, i.value) = (w.kind, w.source, w.value)))
            """)
        query.append(" AND (")
        query.append(bound: pattern)
        query.append("::text IS NULL OR lower(c.name) LIKE ")
        query.append(bound: pattern)
        query.append(") AND (")
        query.append(bound: filter.tag)
        query.append(
            "::text IS NULL OR EXISTS (SELECT FROM customer_tags t WHERE t.customer_id = c.id AND t.tag = ")
        query.append(bound: filter.tag)
        query.append(")) AND (")
        query.append(bound: filter.rfmSegment)
        query.append("::text IS NULL OR c.rfm_segment = ")
        query.append(bound: filter.rfmSegment)
        query.append(")")
        if let rule = filter.rule {
            query.append(" AND ")
            rule.compile(into: &query)
        }
        query.append(" AND (")
        query.append(bound: afterMicros)
        query.append(
            "::bigint IS NULL OR (c.created_at, c.id) < (timestamptz 'epoch' + ")
        query.append(bound: afterMicros)
        query.append(" * interval '1 microsecond', ")
        query.append(bound: afterID)
        query.append(")) ORDER BY c.created_at DESC, c.id DESC LIMIT ")
        query.append(bound: page.limit + 1)
        let rows = try await tenant.query(query.query)
        var customers: [Customer] = []
        for try await row in rows { customers.append(try customer(from: row)) }
        return customers
    }

    /// A new customer with `profile`; its id.
    static func insert(_ profile: CustomerProfile, on tenant: TenantConnection) async throws -> Int64 {
        let rows = try await tenant.query(
            """
            INSERT INTO customers (name, gender, birth_year, region, city, language, attributes)
            VALUES (\(profile.name), \(profile.gender?.rawValue), \(profile.birthYear), \(profile.region),
                    \(profile.city), \(profile.language), coalesce(\(profile.attributes)::jsonb, '{}'::jsonb))
            RETURNING id
            """
        )
        for try await id in rows.decode(Int64.self) { return id }
        throw Problem.internalError(requestID: RequestScope.current?.requestID ?? "unknown")
    }

    /// Gives the customer the identities it lacks; the caller holds their locks and has checked that
    /// no other customer owns them.
    static func attach(_ identities: [CustomerIdentity], to id: Int64, on tenant: TenantConnection) async throws {
        guard !identities.isEmpty else { return }
        try await tenant.execute(
            """
            INSERT INTO customer_identities (kind, source, value, customer_id)
            SELECT kind, source, value, \(id)
            FROM unnest(\(identities.map(\.kind.rawValue))::text[], \(identities.map(\.source))::text[],
                        \(identities.map(\.value))::text[]) AS w(kind, source, value)
            ON CONFLICT DO NOTHING
            """
        )
    }

    /// Writes the profile fields given: `overwrite` replaces what the customer has (a PATCH), otherwise
    /// only the fields it lacks are filled (a match). Attribute keys merge the same way.
    static func apply(_ profile: CustomerProfile, to id: Int64, overwrite: Bool, on tenant: TenantConnection)
        async throws
    {
        let query: PQStatement =
            overwrite
            ? """
            UPDATE customers SET
                name = coalesce(\(profile.name), name), gender = coalesce(\(profile.gender?.rawValue), gender),
                birth_year = coalesce(\(profile.birthYear), birth_year), region = coalesce(\(profile.region), region),
                city = coalesce(\(profile.city), city), language = coalesce(\(profile.language), language),
                attributes = attributes || coalesce(\(profile.attributes)::jsonb, '{}'::jsonb), updated_at = now()
            WHERE id = \(id)
            """
            : """
            UPDATE customers SET
                name = coalesce(name, \(profile.name)), gender = coalesce(gender, \(profile.gender?.rawValue)),
                birth_year = coalesce(birth_year, \(profile.birthYear)), region = coalesce(region, \(profile.region)),
                city = coalesce(city, \(profile.city)), language = coalesce(language, \(profile.language)),
                attributes = coalesce(\(profile.attributes)::jsonb, '{}'::jsonb) || attributes, updated_at = now()
            WHERE id = \(id)
              AND (name, gender, birth_year, region, city, language, attributes) IS DISTINCT FROM
                  (coalesce(name, \(profile.name)), coalesce(gender, \(profile.gender?.rawValue)),
                   coalesce(birth_year, \(profile.birthYear)), coalesce(region, \(profile.region)),
                   coalesce(city, \(profile.city)), coalesce(language, \(profile.language)),
                   coalesce(\(profile.attributes)::jsonb, '{}'::jsonb) || attributes)
            """
        try await tenant.execute(query)
    }

    /// Records consent statements in one statement; a statement older than the one on record for its
    /// channel and purpose is ignored, so statements arriving out of order leave the latest standing.
    /// Each statement that stands is also kept in the consent history (the timeline's entries).
    static func record(_ consents: [Consent], for id: Int64, on tenant: TenantConnection) async throws {
        guard !consents.isEmpty else { return }
        try await tenant.execute(
            """
            WITH given AS (
                SELECT * FROM unnest(\(consents.map(\.channel.rawValue))::text[],
                                     \(consents.map(\.purpose.rawValue))::text[], \(consents.map(\.granted))::bool[],
                                     \(consents.map(\.recordedAt))::timestamptz[], \(consents.map(\.source))::text[])
                    AS g(channel, purpose, granted, recorded_at, source)
            ), stood AS (
                INSERT INTO consents (customer_id, channel, purpose, granted, recorded_at, source)
                SELECT \(id), channel, purpose, granted, recorded_at, source FROM given
                ON CONFLICT (customer_id, channel, purpose) DO UPDATE
                SET granted = excluded.granted, recorded_at = excluded.recorded_at, source = excluded.source
                WHERE consents.recorded_at <= excluded.recorded_at
                RETURNING channel, purpose, granted, recorded_at, source
            )
            INSERT INTO consent_history (customer_id, channel, purpose, granted, recorded_at, source)
            SELECT \(id), channel, purpose, granted, recorded_at, source FROM stood
            """
        )
    }
}

extension Problem {
    static func customerErased(_ id: Int64, at: Date) -> Problem {
        Problem(
            status: .notFound, type: "not-found", title: "Not found",
            detail: "Customer '\(id)' was erased at \(at.formatted(.iso8601)); only anonymous figures remain.")
    }

    static func customerMerged(_ id: Int64, into: Int64) -> Problem {
        var problem = Problem(
            status: .notFound, type: "not-found", title: "Not found",
            detail: "Customer '\(id)' was merged into customer '\(into)'.")
        problem.members["merged_into"] = .string(String(into))
        return problem
    }
}
