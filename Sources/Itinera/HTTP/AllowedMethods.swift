/// The methods each path of the contract has, from the OpenAPI document at build time, so a method
/// a path lacks is answered `405 Method Not Allowed` with `Allow`, not 404.
enum AllowedMethods {
    /// Routes outside the document.
    static let plainRoutes: [(path: String, methods: [String])] = [("/openapi.yaml", ["GET"])]

    private static let templates: [(segments: [Substring], methods: [String])] =
        (embeddedPathMethods + plainRoutes).map { ($0.path.split(separator: "/"), $0.methods) }

    /// The methods of the path template `path` matches; `nil` when it matches none.
    static func methods(for path: String) -> [String]? {
        let segments = path.split(separator: "/")
        var found: Set<String> = []
        for template in templates where template.segments.count == segments.count {
            let matches = zip(template.segments, segments).allSatisfy { pattern, segment in
                (pattern.hasPrefix("{") && pattern.hasSuffix("}")) || pattern == segment
            }
            if matches { found.formUnion(template.methods) }
        }
        return found.isEmpty ? nil : found.sorted()
    }
}
