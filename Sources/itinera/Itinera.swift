import ArgumentParser
import Itinera

@main
struct ItineraCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "itinera",
        abstract: "Itinera: multi-tenant CRM and loyalty server for the travel trade.",
        subcommands: [Serve.self, Migrate.self, Worker.self],
        defaultSubcommand: Serve.self
    )

    static func main() async {
        EventLoopExecutor.install()
        await main(nil)
    }
}
