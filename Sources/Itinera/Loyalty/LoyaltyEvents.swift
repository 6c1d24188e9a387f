/// A customer became a member of a programme: enrolled by hand or by a partner (`source`
/// `enrolment`), or by their first order where the programme enrols on it (`order`).
struct MemberEnrolled: DomainEvent {
    let member: Member
    let source: String
    let order: Int64?
}

/// Points moved on members' balances, published in the transaction that wrote the ledger entries:
/// earned by an order, redeemed, adjusted by hand (and taken back when an order that earned them is
/// cancelled, `reason` says so), or expired by the sweep (one move per member).
struct PointsMoved: DomainEvent {
    enum Kind: String, Sendable {
        case earned, redeemed, adjusted, expired
    }

    struct Move: Sendable, Equatable {
        let member: Int64
        let customer: Int64
        let program: Int64
        /// Signed: positive for points added, negative for points taken.
        let points: Int64
        let balanceAfter: Int64

        init(member: Int64, customer: Int64, program: Int64, points: Int64, balanceAfter: Int64) {
            (self.member, self.customer, self.program) = (member, customer, program)
            (self.points, self.balanceAfter) = (points, balanceAfter)
        }

        /// A move on `member`'s balance.
        init(_ member: Member, points: Int64, balanceAfter: Int64) {
            self.init(
                member: member.id, customer: member.customerID, program: member.programID, points: points,
                balanceAfter: balanceAfter)
        }
    }

    let kind: Kind
    let moves: [Move]
    let order: Int64?
    let reason: String?

    init(kind: Kind, moves: [Move], order: Int64?, reason: String?) {
        (self.kind, self.moves, self.order, self.reason) = (kind, moves, order, reason)
    }

    /// The one move a ledger `entry` on `member` made.
    init(_ kind: Kind, _ entry: PointsEntry, of member: Member, order: Int64?, reason: String?) {
        self.init(
            kind: kind, moves: [Move(member, points: entry.points, balanceAfter: entry.balanceAfter)], order: order,
            reason: reason)
    }
}
