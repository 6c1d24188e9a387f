/// Members' tiers in a programme changed: one member's (an order, a cancellation, an enrolment, a
/// balance changed by hand) or many at once (a re-evaluation of the programme, the periodic sweep),
/// published inside the transaction that wrote the changes and their history.
struct TierChanged: DomainEvent {
    struct Change: Sendable, Equatable {
        let member: Int64
        /// The member's customer.
        let customer: Int64
        let from: String?
        let to: String?
    }

    let program: Int64
    let changes: [Change]
    /// What caused them, as the tier history says it (`order`, `cancellation`, `admin`, `bulk`, …).
    let source: String
    /// The order that caused them, when one did.
    let order: Int64?
}
