public import Foundation

/// A label on customers, given by hand or by a rule over their orders.
public struct Tag: Sendable, Equatable {
    /// Orders a rule matches: of this product category, and to this destination when one is named.
    public struct Rule: Sendable, Equatable {
        public var productCategory: String
        public var destination: String?
    }

    public var name: String
    public var description: String?
    public var rule: Rule?
    public var customers: Int
    public var createdAt: Date

    /// Tag names are what segments and searches write: lower case, digits, `_` and `-`.
    public static func name(_ text: String, field: String) throws(Problem) -> String {
        let name = text.trimmed.lowercased()
        guard name.wholeMatch(of: /[a-z0-9][a-z0-9_-]{0,63}/) != nil else {
            throw .invalidField(
                field, "\(field) must be 1–64 lower-case letters, digits, '_' or '-', starting with a letter or digit.")
        }
        return name
    }
}

/// A tag on one customer.
public struct CustomerTag: Sendable, Equatable {
    public enum Source: String, Sendable {
        case manual, rule
    }

    public var tag: String
    public var source: Source
    public var addedAt: Date
}
