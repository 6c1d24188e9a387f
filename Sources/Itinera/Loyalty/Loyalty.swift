import Foundation

/// Where loyalty joins the rest: enrolment, a member's evaluation, and what an order or its
/// cancellation does to points and tiers, inside the order's own transaction.
enum Loyalty {
    /// Enrols `customer` and decides the new member's tier at once.
    static func enrol(
        customer: Int64, in program: Program, source: String, order: Int64?, principal: Principal,
        in context: EventContext
    ) async throws -> (Member, Bool) {
        let tenant = context.connection
        let (member, created) = try await MemberStore.enrol(customer: customer, in: program, on: tenant)
        guard created else { return (member, false) }
        try await context.publish(MemberEnrolled(member: member, source: source, order: order))
        try await evaluate(member, program: program, source: source, order: order, in: context)
        return (try await MemberStore.find(member.id, on: tenant) ?? member, true)
    }

    /// Re-evaluates one member: their row locked with the window's figures read beside it,
    /// `TierEvaluator` deciding (the statement that re-evaluates everyone is held to it by a test),
    /// and the standing and its history written only when something changed.
    static func evaluate(
        _ member: Member, program: Program, source: String, order: Int64?, in context: EventContext
    ) async throws {
        let tiers = try await ProgramStore.tiers(of: program.id, on: context.connection).map(\.tier)
        try await evaluate(member, program: program, tiers: tiers, source: source, order: order, in: context)
    }

    /// As above with the programme's `tiers` already read. When the tiers were replaced since they
    /// were read (the revision beside the figures says so), they are read again: a re-evaluation job
    /// leaves alone a member whose row changed after it looked, so this decision must be under the
    /// current tiers.
    static func evaluate(
        _ member: Member, program: Program, tiers: [Tier], source: String, order: Int64?, in context: EventContext
    ) async throws {
        let evaluator = TierEvaluator(program, tiers: tiers, tenant: context.tenant)
        let asOf = Date()
        let start = evaluator.window.start(asOf: asOf, timeZone: evaluator.timeZone)
        guard
            let (before, figures, revision) = try await standing(
                of: member.id, from: start, to: asOf, lock: true, on: context.connection)
        else { return }
        try await settle(
            member, program: program, evaluator: evaluator, standing: before, figures: figures, revision: revision,
            window: (start, asOf), source: source, order: order, in: context)
    }

    /// Decides a member whose row is locked from their standing and figures, and writes the change
    /// with its history when there is one (`EarnAndStanding`, with no points); a new tier is
    /// published (`TierChanged`). When the tiers were replaced since `evaluator` was made
    /// (`revision`, read with the figures, or the write's own check says so), they are read again and
    /// the member decided again.
    static func settle(
        _ member: Member, program: Program, evaluator: TierEvaluator, standing before: TierEvaluator.Standing,
        figures: WindowFigures, revision: Int64, window: (start: Date, asOf: Date), source: String, order: Int64?,
        in context: EventContext
    ) async throws {
        let (tenant, connection) = (context.tenant, context.connection)
        var (program, evaluator, revision) = (program, evaluator, revision)
        while true {
            if revision != program.tiersRevision {
                guard let current = try await ProgramStore.find(program.id, on: connection) else { return }
                let tiers = try await ProgramStore.tiers(of: program.id, on: connection).map(\.tier)
                (program, evaluator) = (current, TierEvaluator(current, tiers: tiers, tenant: tenant))
            }
            let after = evaluator.decide(before, figures: figures, asOf: window.asOf)
            guard after != before else { return }
            let write = EarnAndStanding(
                member: member.id, program: program.id, revision: program.tiersRevision, points: 0, order: order,
                expiresAt: nil, source: source, before: before, after: after, figures: figures, window: window,
                reason: TierReason.sentence(
                    cause: TierReason.cause(source: source, order: order), from: before.tier, to: after.tier,
                    tiers: evaluator.tiers, figures: figures, currency: program.currency, asOf: window.asOf))
            revision = try await write.run(on: connection)
            if revision == program.tiersRevision {
                if after.tier != before.tier {
                    try await context.publish(
                        TierChanged(
                            program: program.id,
                            changes: [
                                .init(member: member.id, customer: member.customerID, from: before.tier, to: after.tier)
                            ],
                            source: source, order: order))
                }
                return
            }
        }
    }

    /// A member's standing, the figures of the window `from`…`to` and the programme's tiers
    /// revision, read in one statement; with `lock`, the member's row is locked until the transaction
    /// ends.
    static func standing(of member: Int64, from start: Date, to asOf: Date, lock: Bool, on connection: TenantConnection)
        async throws -> (TierEvaluator.Standing, WindowFigures, Int64)?
    {
        var q = QueryBuilder()
        let id = q.bind(member)
        let figures = windowFigures(start: q.bind(start), asOf: q.bind(asOf))
        q.sql = """
            SELECT m.tier_code, m.tier_since, m.demotion_to, m.demotion_due_at, m.points_balance, f.orders, f.total,
                   f.last, p.tiers_revision
            FROM members m
            JOIN programs p ON p.id = m.program_id, \(figures)
            WHERE m.id = \(id)::bigint
            \(lock ? "FOR NO KEY UPDATE OF m" : "")
            """
        let rows = try await connection.query(q.query)
        for try await c in rows.decode((String?, Date?, String?, Date?, Int64, Int, Int64, Date?, Int64).self) {
            return (
                .init(tier: c.0, since: c.1, demotionTo: c.2, demotionDueAt: c.3),
                WindowFigures(orders: c.5, totalSpentMinor: c.6, lastOrderAt: c.7, points: c.4),
                c.8
            )
        }
        return nil
    }

    /// The figures of a customer (by default member row `m`'s) over the window `start`…`asOf` (SQL
    /// expressions), as a lateral relation `f` (`orders`, `total`, `last`) of their orders that count.
    static func windowFigures(customer: String = "m.customer_id", start: String, asOf: String) -> String {
        """
        LATERAL (SELECT count(*)::int AS orders, coalesce(sum(o.amount_minor), 0)::bigint AS total,
                        max(o.ordered_at) AS last
                 FROM orders o
                 WHERE o.customer_id = \(customer) AND o.status IN ('confirmed', 'completed')
                   AND o.ordered_at >= \(start) AND o.ordered_at <= \(asOf)) f
        """
    }

    /// An order was recorded: in every programme, a customer who is a member (or whose programme
    /// enrols on the first order) earns the order's points at their tier's multiplier and is
    /// re-evaluated, in one statement per membership. What they are decided from was read by the
    /// order's insert when it could (`LoyaltyOrderRead`), or is read here (`OrderLoyaltyRead`).
    /// Orders that do not count (cancelled, refunded) earn nothing; where the tenant runs no
    /// programme this costs nothing.
    static func orderRecorded(_ event: OrderRecorded, in context: EventContext) async throws {
        let order = event.order
        guard order.details.status.counts, let read = event.reads.value(of: LoyaltyOrderRead.self) else { return }
        let (tenant, timeZone) = (context.connection, context.tenant.timeZone)
        var asOf = event.asOf
        var programs = try LoyaltyOrderRead.programs(read, customer: order.customerID)
        if programs == nil {
            asOf = Date()
            let statement = OrderLoyaltyRead(
                customer: order.customerID, currency: order.details.currency, asOf: asOf,
                timeZone: timeZone.identifier)
            for try await json in try await tenant.connection.execute(statement, logger: tenant.logger) {
                programs = try json.flatMap { try LoyaltyOrderRead.programs($0, customer: order.customerID) }
            }
        }
        for found in programs ?? [] {
            let (program, tiers) = (found.program, found.tiers)
            var member = found.member
            if member == nil, program.enrolment == .firstOrder {
                let enrolled =
                    try await MemberStore.enrol(customer: order.customerID, in: program, knownAbsent: true, on: tenant)
                    .member
                try await context.publish(MemberEnrolled(member: enrolled, source: "order", order: order.id))
                member = enrolled
            }
            guard let member else { continue }
            let evaluator = TierEvaluator(program, tiers: tiers, tenant: context.tenant)
            let multiplier = tiers.first { $0.code == member.standing.tier }?.pointsMultiplier ?? 1
            let points = program.earning.points(amountMinor: order.details.amountMinor, multiplier: multiplier)
            var figures = found.figures
            figures.points = member.pointsBalance + points
            let before = member.standing
            let after = evaluator.decide(before, figures: figures, asOf: asOf)
            let write = EarnAndStanding(
                member: member.id, program: program.id, revision: program.tiersRevision, points: points,
                order: order.id, expiresAt: program.expiry.expiresAt(earnedAt: order.createdAt, timeZone: timeZone),
                source: "order", before: before, after: after, figures: figures, window: (found.windowStart, asOf),
                reason: before.tier == after.tier
                    ? ""
                    : TierReason.sentence(
                        cause: TierReason.cause(source: "order", order: order.id), from: before.tier, to: after.tier,
                        tiers: tiers, figures: figures, currency: program.currency, asOf: asOf))
            // Tiers replaced since they were read: the points are credited, the decision is made
            // again under the tiers now current.
            let revision = try await write.run(on: tenant)
            if points > 0 {
                try await context.publish(
                    PointsMoved(
                        kind: .earned, moves: [.init(member, points: points, balanceAfter: figures.points)],
                        order: order.id, reason: nil))
            }
            if revision != program.tiersRevision {
                try await settle(
                    member, program: program, evaluator: evaluator, standing: before, figures: figures,
                    revision: revision, window: (found.windowStart, asOf), source: "order", order: order.id,
                    in: context)
            } else if after.tier != before.tier {
                try await context.publish(
                    TierChanged(
                        program: program.id,
                        changes: [
                            .init(member: member.id, customer: order.customerID, from: before.tier, to: after.tier)
                        ],
                        source: "order", order: order.id))
            }
        }
    }

    /// An order was cancelled: the points it earned that are still unspent are reversed, and the
    /// member is re-evaluated.
    static func orderCancelled(_ event: OrderCancelled, in context: EventContext) async throws {
        let order = event.order
        for member in try await MemberStore.memberships(of: order.customerID, on: context.connection) {
            guard let program = try await ProgramStore.find(member.programID, on: context.connection) else { continue }
            if let entry = try await PointsStore.reverse(order: order.id, member: member.id, on: context.connection) {
                try await context.publish(
                    PointsMoved(.adjusted, entry, of: member, order: order.id, reason: "order cancelled"))
            }
            try await evaluate(member, program: program, source: "cancellation", order: order.id, in: context)
        }
    }

    /// A member's balance changed by hand (an adjustment or a redemption): re-evaluated when a tier
    /// of the programme sets a minimum balance, the only threshold the balance reaches.
    static func pointsChanged(_ member: Member, program: Program, in context: EventContext) async throws {
        let tiers = try await ProgramStore.tiers(of: program.id, on: context.connection).map(\.tier)
        guard tiers.contains(where: { $0.thresholds.minPoints != nil }) else { return }
        try await evaluate(member, program: program, tiers: tiers, source: "admin", order: nil, in: context)
    }

    /// An amount of minor units in words: `1,234.56 CNY`.
    static func money(_ minor: Int64, _ currency: String) -> String {
        let units = minor / 100
        let cents = abs(minor % 100)
        var digits = String(abs(units))
        var grouped = ""
        while digits.count > 3 {
            grouped = "," + digits.suffix(3) + grouped
            digits.removeLast(3)
        }
        grouped = (minor < 0 ? "-" : "") + digits + grouped
        return "\(grouped).\(cents < 10 ? "0" : "")\(cents) \(currency)"
    }
}
