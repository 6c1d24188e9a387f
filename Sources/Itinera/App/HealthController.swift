import ItineraAPI
import Logging

/// `GET /healthz` (the process answers) and `GET /readyz` (the database answers and is migrated).
struct HealthController: Sendable {
    let migrator: Migrator
    let draining: Draining
    /// How long the probe waits for the database.
    let deadline: Duration
    let logger: Logger

    func getHealth(_ input: Operations.GetHealth.Input) async throws -> Operations.GetHealth.Output {
        .ok(.init(body: .json(.init(status: .ok))))
    }

    func getReadiness(_ input: Operations.GetReadiness.Input) async throws -> Operations.GetReadiness.Output {
        guard !draining.isDraining else { throw Problem.notReady("The server is shutting down.") }
        let status: Migrator.Status
        do {
            // A probe answers within its deadline (a second), whatever the database does.
            status = try await withDeadline(deadline) { [migrator] in try await migrator.status() }
        } catch {
            logger.warning("Readiness check could not reach the database", metadata: ["error": "\(error)"])
            throw Problem.notReady("The database cannot be reached.")
        }
        guard status.isCurrent else {
            throw Problem.notReady(
                "Migrations are pending: \(status.pendingControl) control, \(status.tenantsBehind) tenant schemas behind."
            )
        }
        return .ok(.init(body: .json(.init(status: .ready, controlVersion: status.controlVersion, tenantsBehind: 0))))
    }
}

extension Problem {
    static func notReady(_ detail: String) -> Problem {
        Problem(status: .serviceUnavailable, type: "not-ready", title: "Not ready", detail: detail)
    }
}
