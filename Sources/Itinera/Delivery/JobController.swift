import Foundation
import ItineraAPI
import Logging

/// The tenant's background jobs: `GET /v1/jobs` and `GET /v1/jobs/{id}`.
struct JobController: Sendable {
    let access: AccessControl
    let logger: Logger

    func listJobs(_ input: Operations.ListJobs.Input) async throws -> Operations.ListJobs.Output {
        let page = try PageRequest(limit: input.query.limit, cursor: input.query.cursor)
        var after: UUID?
        if let keys = page.after {
            guard keys.count == 1, let id = UUID(uuidString: keys[0]) else { throw Problem.badCursor }
            after = id
        }
        if let kind = input.query.kind, kind.isEmpty || kind.unicodeScalars.count > 60 {
            throw Problem.invalidField("kind", "kind must be 1–60 characters.")
        }
        let jobs = try await access.inControl { connection, principal in
            try await JobStore.list(
                tenant: principal.tenant.id, kind: input.query.kind, after: after, limit: page.limit, on: connection,
                logger: logger)
        }
        let (shown, next) = page.split(jobs) { PageRequest.cursor([$0.id.uuidString]) }
        return .ok(.init(body: .json(.init(items: shown.map(\.api), nextCursor: next))))
    }

    func getJob(_ input: Operations.GetJob.Input) async throws -> Operations.GetJob.Output {
        guard let id = UUID(uuidString: input.path.id) else { throw Problem.notFound("job", input.path.id) }
        let job = try await access.inControl { connection, principal in
            try await JobStore.find(id, tenant: principal.tenant.id, on: connection, logger: logger)
        }
        guard let job else { throw Problem.notFound("job", input.path.id) }
        return .ok(.init(body: .json(job.api)))
    }

}
