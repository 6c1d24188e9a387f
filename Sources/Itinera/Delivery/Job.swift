public import Foundation

/// A unit of background work, as kept in `itinera.jobs`: what to do (`kind` and its `payload`), for
/// which tenant, and how far it has got.
public struct Job: Sendable, Equatable {
    /// Where a job is in its life. `waiting` (behind an earlier job of its ordering key), `queued` and
    /// `running` may still change; the others are final.
    public enum State: String, Sendable {
        case waiting, queued, running, succeeded, failed, cancelled
    }

    public var id: UUID
    public var tenantID: UUID
    public var kind: String
    /// The kind's own parameters, a JSON object.
    public var payload: String
    public var state: State
    public var attempts: Int
    public var maxAttempts: Int
    public var progressDone: Int64
    public var progressTotal: Int64?
    /// What a finished job produced, a JSON object.
    public var result: String?
    public var error: String?
    public var createdBy: String?
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    public var runAfter: Date
}

/// A job to be queued.
public struct JobRequest: Sendable {
    public var kind: String
    public var payload: String
    /// Jobs with the same kind and key for one tenant wait in the queue at most once: a request while
    /// one is queued answers that one.
    public var dedupeKey: String?
    public var createdBy: String?
    public var runAfter: Date?
    public var maxAttempts: Int

    public init(
        kind: String, payload: String = "{}", dedupeKey: String? = nil, createdBy: String? = nil,
        runAfter: Date? = nil, maxAttempts: Int = 3
    ) {
        self.kind = kind
        self.payload = payload
        self.dedupeKey = dedupeKey
        self.createdBy = createdBy
        self.runAfter = runAfter
        self.maxAttempts = maxAttempts
    }
}
