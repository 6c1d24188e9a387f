import ArgumentParser
import Foundation
import Itinera
import Logging

/// `itinera migrate`: brings the control schema and every tenant schema to the latest version.
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending control and tenant migrations.")

    @OptionGroup var common: CommonOptions

    @Option(help: "How many tenants to migrate at once.")
    var jobs = 4

    @Option(name: .customLong("lock-timeout"), help: "Seconds a tenant migration waits for a lock before it fails.")
    var lockTimeout = 5

    @Flag(name: .customLong("dry-run"), help: "List what would be applied; change nothing.")
    var dryRun = false

    func run() async throws {
        let configuration = try common.sources().resolve()
        let logger = CommonOptions.bootstrapLogging(level: .warning)
        let database = try await DatabaseRuntime.start(configuration, logger: logger)
        defer { database.stop() }
        let migrations = try MigrationSet.embedded()
        let client = try database.settings.makeClient(connections: max(2, jobs + 1), logger: logger)
        let (report, status) = try await withRunningClient(client) { client in
            let migrator = Migrator(client: client, migrations: migrations, logger: logger)
            let report = try await migrator.run(jobs: jobs, dryRun: dryRun, lockTimeout: .seconds(lockTimeout))
            return (report, dryRun ? nil : try await migrator.status())
        }
        let verb = dryRun ? "would apply" : "applied"
        for migration in report.controlApplied {
            print("control: \(verb) \(String(format: "%04d", migration.version))_\(migration.name)")
        }
        for tenant in report.tenants {
            if let error = tenant.error {
                print("tenant \(tenant.slug): FAILED at version \(tenant.fromVersion) → \(tenant.toVersion): \(error)")
            } else {
                print("tenant \(tenant.slug): \(verb) \(tenant.fromVersion) → \(tenant.toVersion)")
            }
        }
        if report.changedNothing {
            print(
                "Nothing to migrate: the control schema is at version \(migrations.latestControlVersion) "
                    + "and every tenant schema at version \(migrations.latestTenantVersion)."
            )
        } else if let status {
            let migrated = report.tenants.count - report.failedTenants.count
            print(
                "Done: control schema at version \(status.controlVersion); \(migrated) tenant schemas migrated, "
                    + "\(report.failedTenants.count) failed, \(status.tenantsBehind) still behind."
            )
        }
        if !report.failedTenants.isEmpty {
            throw ExitCode(2)
        }
    }
}
