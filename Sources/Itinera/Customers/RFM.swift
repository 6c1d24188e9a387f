/// Recency, frequency and monetary scoring: each customer with an order gets a score from 1 to 5
/// on each (5 is the most recent, most frequent, highest spending fifth of the tenant's customers)
/// and the segment those scores name.
public enum RFM {
    /// One segment: the score ranges it covers. The first rule that matches names the segment.
    public struct SegmentRule: Sendable {
        public let name: String
        public let recency: ClosedRange<Int>
        public let frequency: ClosedRange<Int>
        public let monetary: ClosedRange<Int>
    }

    /// The segments, in the order they are tried; together they cover all 125 score triples.
    public static let segments: [SegmentRule] = [
        SegmentRule(name: "champions", recency: 4...5, frequency: 4...5, monetary: 4...5),
        SegmentRule(name: "cannot_lose", recency: 1...2, frequency: 4...5, monetary: 4...5),
        SegmentRule(name: "loyal", recency: 3...5, frequency: 4...5, monetary: 1...5),
        SegmentRule(name: "at_risk", recency: 1...2, frequency: 3...5, monetary: 1...5),
        SegmentRule(name: "potential_loyalist", recency: 4...5, frequency: 2...3, monetary: 1...5),
        SegmentRule(name: "new_customer", recency: 5...5, frequency: 1...1, monetary: 1...5),
        SegmentRule(name: "promising", recency: 4...4, frequency: 1...1, monetary: 1...5),
        SegmentRule(name: "need_attention", recency: 3...3, frequency: 2...3, monetary: 1...5),
        SegmentRule(name: "about_to_sleep", recency: 3...3, frequency: 1...1, monetary: 1...5),
        SegmentRule(name: "hibernating", recency: 2...2, frequency: 1...2, monetary: 1...5),
        SegmentRule(name: "lost", recency: 1...1, frequency: 1...2, monetary: 1...5),
    ]

    /// The segment of one score triple.
    public static func segment(recency: Int, frequency: Int, monetary: Int) -> String? {
        segments.first {
            $0.recency.contains(recency) && $0.frequency.contains(frequency) && $0.monetary.contains(monetary)
        }?.name
    }

    /// The same decision as `segment`, as a SQL `CASE` over the columns named `r`, `f` and `m`.
    public static let segmentSQL: String = {
        let branches = segments.map { rule in
            "WHEN r BETWEEN \(rule.recency.lowerBound) AND \(rule.recency.upperBound)"
                + " AND f BETWEEN \(rule.frequency.lowerBound) AND \(rule.frequency.upperBound)"
                + " AND m BETWEEN \(rule.monetary.lowerBound) AND \(rule.monetary.upperBound)"
                + " THEN '\(rule.name)'"
        }
        return "CASE " + branches.joined(separator: " ") + " END"
    }()
}
