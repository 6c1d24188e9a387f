import Foundation
import PostgresNIO

/// A segment's rule: all or any of conditions over a customer's fields, value figures, RFM, tags
/// and recent interactions, nested at most `maxDepth` deep. It is read from JSON such as
///
///     {"all": [{"field": "order_count", "op": ">=", "value": 2},
///              {"any": [{"tag": "family"}, {"interaction": {"type": "inquiry", "within_days": 30}}]}]}
///
/// and compiled to a parameterised SQL condition over `customers c`: field names map to fixed column
/// expressions, and every value is a bound parameter.
public indirect enum SegmentRule: Sendable, Equatable {
    case all([SegmentRule])
    case any([SegmentRule])
    case compare(field: Field, op: Comparison, values: [Value])
    case tag(String, present: Bool)
    case interaction(type: String, withinDays: Int)

    /// A field a condition can compare.
    public enum Field: Sendable, Equatable {
        case number(String)
        case text(String)
        case attribute(String)

        /// The fields by name, with the SQL each stands for.
        static let numbers: [String: String] = [
            "order_count": "c.order_count",
            "total_spent_minor": "c.total_spent_minor",
            "average_order_value_minor":
                "(CASE WHEN c.order_count = 0 THEN 0 ELSE (c.total_spent_minor * 2 + c.order_count) / (c.order_count * 2) END)",
            "days_since_last_order": "(extract(epoch FROM now() - c.last_order_at) / 86400)::int",
            "birth_year": "c.birth_year",
            "rfm_recency": "c.rfm_recency",
            "rfm_frequency": "c.rfm_frequency",
            "rfm_monetary": "c.rfm_monetary",
        ]
        static let texts: [String: String] = [
            "gender": "c.gender", "region": "c.region", "city": "c.city", "language": "c.language",
            "rfm_segment": "c.rfm_segment",
        ]
    }

    public enum Comparison: String, Sendable, CaseIterable {
        case equal = "=", notEqual = "!=", greater = ">", greaterOrEqual = ">=", less = "<", lessOrEqual = "<="
        case oneOf = "in"
    }

    public enum Value: Sendable, Equatable {
        case number(Int64)
        case text(String)
    }

    static let maxDepth = 5
    static let maxConditions = 50

    /// Reads a rule from its JSON object; a 422 naming the path of what is wrong (`rule.all[1].op`).
    public static func parse(_ json: Any, path: String = "rule") throws(Problem) -> SegmentRule {
        var conditions = 0
        return try parse(json, path: path, depth: 1, conditions: &conditions)
    }

    private static func parse(_ json: Any, path: String, depth: Int, conditions: inout Int) throws(Problem)
        -> SegmentRule
    {
        guard let object = json as? [String: Any], object.count >= 1 else {
            throw .invalidField(path, "\(path) must be an object: all, any, field, tag, not_tag or interaction.")
        }
        guard depth <= maxDepth else { throw .invalidField(path, "Rules nest at most \(maxDepth) deep.") }
        if let list = object["all"] ?? object["any"] {
            let key = object["all"] != nil ? "all" : "any"
            guard object.count == 1, let items = list as? [Any], !items.isEmpty else {
                throw .invalidField("\(path).\(key)", "\(path).\(key) must be a non-empty list of conditions.")
            }
            var rules: [SegmentRule] = []
            for (index, item) in items.enumerated() {
                rules.append(
                    try parse(item, path: "\(path).\(key)[\(index)]", depth: depth + 1, conditions: &conditions))
            }
            return key == "all" ? .all(rules) : .any(rules)
        }
        conditions += 1
        guard conditions <= maxConditions else {
            throw .invalidField(path, "A rule has at most \(maxConditions) conditions.")
        }
        if let tag = object["tag"] ?? object["not_tag"] {
            let key = object["tag"] != nil ? "tag" : "not_tag"
            guard let text = tag as? String else {
                throw .invalidField("\(path).\(key)", "\(path).\(key) must be a tag name.")
            }
            return .tag(try Tag.name(text, field: "\(path).\(key)"), present: key == "tag")
        }
        if let interaction = object["interaction"] {
            guard let details = interaction as? [String: Any], let type = details["type"] as? String,
                Interaction.types.contains(type)
            else {
                throw .invalidField(
                    "\(path).interaction.type",
                    "\(path).interaction.type must be one of \(Interaction.types.sorted().joined(separator: ", ")).")
            }
            guard let days = details["within_days"] as? Int, (1...3650).contains(days) else {
                throw .invalidField(
                    "\(path).interaction.within_days", "\(path).interaction.within_days must be 1–3650.")
            }
            return .interaction(type: type, withinDays: days)
        }
        guard let name = object["field"] as? String else {
            throw .invalidField(path, "\(path) needs one of all, any, field, tag, not_tag or interaction.")
        }
        let field: Field
        if Field.numbers[name] != nil {
            field = .number(name)
        } else if Field.texts[name] != nil {
            field = .text(name)
        } else if name.hasPrefix("attributes."), name.count > 11, name.count <= 75 {
            field = .attribute(String(name.dropFirst(11)))
        } else {
            throw .invalidField(
                "\(path).field",
                "\(path).field must be one of \((Array(Field.numbers.keys) + Array(Field.texts.keys)).sorted().joined(separator: ", ")) or attributes.<key>."
            )
        }
        guard let opText = object["op"] as? String, let op = Comparison(rawValue: opText) else {
            throw .invalidField(
                "\(path).op",
                "\(path).op must be one of \(Comparison.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        let isNumber = if case .number = field { true } else { false }
        if !isNumber, ![.equal, .notEqual, .oneOf].contains(op) {
            throw .invalidField("\(path).op", "\(path).op must be =, != or in for the text field \(name).")
        }
        let raw: [Any] = op == .oneOf ? (object["value"] as? [Any] ?? []) : object["value"].map { [$0] } ?? []
        guard !raw.isEmpty, raw.count <= 100 else {
            throw .invalidField(
                "\(path).value",
                op == .oneOf ? "\(path).value must be a list of 1–100 values." : "\(path).value is required.")
        }
        var values: [Value] = []
        for item in raw {
            if isNumber {
                guard let number = item as? Int else {
                    throw .invalidField("\(path).value", "\(path).value must be a whole number for \(name).")
                }
                values.append(.number(Int64(number)))
            } else {
                guard let text = item as? String, text.count <= 200 else {
                    throw .invalidField(
                        "\(path).value", "\(path).value must be text of at most 200 characters for \(name).")
                }
                values.append(.text(text))
            }
        }
        return .compare(field: field, op: op, values: values)
    }

    /// Appends the rule as a SQL condition over `customers c`, its values as parameters.
    func compile(into query: inout QueryBuilder) {
        switch self {
        case .all(let rules), .any(let rules):
            let joiner: String
            if case .all = self { joiner = " AND " } else { joiner = " OR " }
            query.append("(")
            for (index, rule) in rules.enumerated() {
                if index > 0 { query.append(joiner) }
                rule.compile(into: &query)
            }
            query.append(")")
        case .tag(let name, let present):
            query.append(present ? "EXISTS" : "NOT EXISTS")
            query.append(" (SELECT FROM customer_tags t WHERE t.customer_id = c.id AND t.tag = ")
            query.append(bound: name)
            query.append(")")
        case .interaction(let type, let days):
            query.append("EXISTS (SELECT FROM interactions i WHERE i.customer_id = c.id AND i.type = ")
            query.append(bound: type)
            query.append(" AND i.occurred_at >= now() - ")
            query.append(bound: days)
            query.append(" * interval '1 day')")
        case .compare(let field, let op, let values):
            query.append("(")
            switch field {
            case .number(let name): query.append(Field.numbers[name] ?? "NULL")
            case .text(let name): query.append(Field.texts[name] ?? "NULL")
            case .attribute(let key):
                query.append("(c.attributes ->> ")
                query.append(bound: key)
                query.append(")")
            }
            switch op {
            case .oneOf:
                query.append(" = ANY(")
                switch values.first {
                case .number:
                    query.append(bound: values.compactMap { if case .number(let n) = $0 { n } else { nil } })
                default: query.append(bound: values.compactMap { if case .text(let t) = $0 { t } else { nil } })
                }
                query.append(")")
            default:
                query.append(op == .notEqual ? " IS DISTINCT FROM " : " \(op.rawValue) ")
                switch values.first {
                case .number(let number): query.append(bound: number)
                case .text(let text): query.append(bound: text)
                case nil: query.append("NULL")
                }
            }
            query.append(")")
        }
    }
}
