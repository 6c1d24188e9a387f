import Foundation
import PackagePlugin

/// Compiles the package's `sql/` directory and the OpenAPI document into the target as Swift string
/// literals, so what ships is exactly the files under version control and nothing has to be installed
/// beside the binary.
@main
struct EmbedResources: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let sqlRoot = context.package.directoryURL.appending(path: "sql")
        let openAPI = context.package.directoryURL.appending(path: "Sources/ItineraAPI/openapi.yaml")
        let inputs = try Self.sqlFiles(under: sqlRoot) + [openAPI]
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedSQL.swift")
        return [
            .buildCommand(
                displayName: "Embedding SQL migrations and the OpenAPI document",
                executable: try context.tool(named: "itinera-embed-resources").url,
                arguments: [sqlRoot.path(), openAPI.path(), output.path()],
                inputFiles: inputs,
                outputFiles: [output]
            )
        ]
    }

    static func sqlFiles(under root: URL) throws -> [URL] {
        let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)
        var files: [URL] = [root]
        while let url = enumerator?.nextObject() as? URL {
            files.append(url)
        }
        return files.sorted { $0.path() < $1.path() }
    }
}
