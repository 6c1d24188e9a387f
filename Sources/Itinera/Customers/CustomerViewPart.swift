import Foundation
import ItineraAPI

/// A part of the customer's one view that another capability owns (a programme's membership, the
/// communities): its statements are sent in the view's own round trip, and it fills its fields of
/// the answer from their rows. The capability keeps its SQL; the view only carries it.
struct CustomerViewPart: Sendable {
    /// The statements for customer `id`.
    let statements: @Sendable (_ id: Int64) throws -> [PQStatement]
    /// Fills the part's fields from the rows of its statements.
    let fill: @Sendable (_ customer: inout Components.Schemas.Customer, _ rows: ArraySlice<PQRows>) throws -> Void
}

extension PQRows {
    /// The rows as a collection, to map over.
    var all: [PQRow] { (0..<count).map { self[$0] } }
}
