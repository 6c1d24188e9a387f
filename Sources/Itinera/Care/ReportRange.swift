import Foundation

/// The range a care report covers: `[from, to)`, `to` now unless given, `from` `defaultDays` before
/// it unless given; a 422 naming `from` when it does not come first or the range is longer than 366
/// days.
enum ReportRange {
    static func checked(from: Date?, to: Date?, now: Date, defaultDays: Double) throws(Problem) -> (Date, Date) {
        let to = to ?? now
        let from = from ?? to.addingTimeInterval(-defaultDays * 86_400)
        guard from < to else { throw .invalidField("from", "from must be before to.") }
        guard to.timeIntervalSince(from) <= 366 * 86_400 else {
            throw .invalidField("from", "The report spans at most 366 days.")
        }
        return (from, to)
    }
}
