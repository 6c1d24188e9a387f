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
    /// Letters are read in lower case (`TagName` in the contract); the check runs before the case
    /// folding, so only ASCII letters fold.
    public static func name(_ text: String, field: String) throws(Problem) -> String {
        guard text.wholeMatch(of: /[A-Za-z0-9][A-Za-z0-9_-]{0,63}/) != nil else {
            throw .invalidField(
                field, "\(field) must be 1–64 letters, digits, '_' or '-', starting with a letter or digit.")
        }
        return text.lowercased()
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
