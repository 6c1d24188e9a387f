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

    /// An API time (`2026-12-20T11:30:00Z`, with or without fractions of a second).
    static func instant(_ text: String) -> Date? {
        (try? Date.ISO8601FormatStyle().parse(text))
            ?? (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text))
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

    /// A table of `items` with `columns` (header, path) for the `table` partial; `link` gives a
    /// row's first cell a link, `form` a row a button (the `form` partial's action, button, nonce).
    static func context(
        _ items: [[String: Any]], columns: [(String, String)], link: (([String: Any]) -> String?)? = nil,
        form: (([String: Any]) -> [String: Any]?)? = nil, shown: (String, String) -> String = { text, _ in text }
    ) -> [String: Any] {
        let rows = items.map { item -> [String: Any] in
            let cells = columns.enumerated().map { index, column -> [String: Any] in
                var cell: [String: Any] = ["text": shown(text(item, column.1), column.1), "column": column.1]
                if index == 0, let href = link?(item) { cell["href"] = href }
                return cell
            }
            var row: [String: Any] = ["cells": cells]
            if let button = form?(item) { row["form"] = button }
            return row
        }
        return ["head": columns.map(\.0) + (form == nil ? [] : [""]), "rows": rows]
    }
}

/// Form fields for the `fields` partial. Every key a field's template reads is set, so that no
/// name is looked up further out in the page.
enum ConsoleForm {
    static func input(
        _ name: String, label: String, value: String = "", type: String = "text", required: Bool = false,
        id: String? = nil
    ) -> [String: Any] {
        [
            "id": id ?? "f-\(name)", "name": name, "label": label, "value": value, "type": type, "required": required,
            "select": false,
        ]
    }

    static func select(_ name: String, label: String, _ options: [String], selected: String? = nil, id: String? = nil)
        -> [String: Any]
    {
        [
            "id": id ?? "f-\(name)", "name": name, "label": label, "select": true,
            "options": options.map {
                ["value": $0, "text": $0, "selected": $0 == (selected ?? options.first)] as [String: Any]
            },
        ]
    }
}
