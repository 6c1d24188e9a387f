import Foundation
import ItineraAPI

extension Job {
    var api: Components.Schemas.Job {
        Components.Schemas.Job(
            id: id.uuidString.lowercased(), kind: kind,
            state: Components.Schemas.Job.StatePayload(rawValue: state.rawValue) ?? .failed,
            progress: .init(done: progressDone, total: progressTotal),
            result: result.flatMap {
                try? JSONDecoder().decode(Components.Schemas.JobResult.self, from: Data($0.utf8))
            },
            error: error, attempts: attempts, createdAt: createdAt, startedAt: startedAt,
            finishedAt: finishedAt)
    }
}
