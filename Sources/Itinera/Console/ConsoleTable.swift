import Foundation

/// Tables of the API's answers: each item encoded as the API writes it and shown by the columns
/// named (`a.b` reaches into an object), so a page shows exactly what a partner reads.
enum ConsoleTable {
    static func json<Item: Encodable>(_ item: Item) -> [String: Any] {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        guard let data = try? encoder.encode(item),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return [:] }
        return object
    }

    /// The value at `path` as text ("–" when absent).
    static func text(_ object: [String: Any], _ path: String) -> String {
        var value: Any? = object
        for key in path.split(separator: ".") { value = (value as? [String: Any])?[String(key)] }
        switch value {
        case let text as String: return text
        case let number as NSNumber: return number.stringValue
        case let list as [Any]: return list.map { "\($0)" }.joined(separator: ", ")
        case nil, is NSNull: return "–"
        default: return value.map { "\($0)" } ?? "–"
        }
    }

    /// A table of `items` with `columns` (header, path); `link` gives a row's first cell a link.
    static func html(_ items: [[String: Any]], columns: [(String, String)], link: (([String: Any]) -> String?)? = nil)
        -> String
    {
        let head = columns.map { "<th>\(HTMLPage.escaped($0.0))</th>" }.joined()
        let rows = items.map { item in
            let cells = columns.enumerated().map { index, column in
                let value = HTMLPage.escaped(text(item, column.1))
                if index == 0, let href = link?(item) {
                    return "<td><a href=\"\(HTMLPage.escaped(href))\">\(value)</a></td>"
                }
                return "<td data-column=\"\(column.1)\">\(value)</td>"
            }.joined()
            return "<tr>\(cells)</tr>"
        }.joined()
        return "<div style=\"overflow-x:auto\"><table><tr>\(head)</tr>\(rows)</table></div>"
    }
}
