import Crypto
import Foundation
import Logging

/// Sends one message (`message.send`, queued with it): checks again that the customer's consent for
/// the channel and purpose stands (a withdrawal after queueing suppresses it), sends the text with
/// its links made trackable and, for marketing, the one-click unsubscribe, and records the outcome.
/// A refusal for good (an SMTP 5xx, a gateway's 4xx) ends it `bounced` or `failed`; anything else is
/// tried again on the webhook back-off schedule until the attempts run out. A worker that dies after
/// the channel accepted the message and before the outcome was recorded sends it again (at least
/// once); e-mail keeps its `Message-ID` across attempts, so a receiving server can tell.
struct MessageSendJob: JobHandler {
    static let kind = "message.send"
    var kind: String { Self.kind }

    let channels: MessageChannels
    let settings: WebhookSettings

    func run(_ job: Job, in run: JobRun) async throws -> JobOutcome {
        guard let data = job.payload.data(using: .utf8),
            let payload = try? JSONDecoder().decode([String: Int64].self, from: data), let id = payload["message"]
        else { return .failed(reason: "the job names no message") }
        guard let (message, consented) = try await run.inTenant({ try await MessageStore.dispatch(id, on: $0) }) else {
            return .cancelled(reason: "the message was removed")
        }
        guard message.state == "queued" else { return .succeeded(result: #"{"already":"\#(message.state)"}"#) }
        let attempts = settings.maxAttempts
        guard consented, let address = message.address else {
            let reason =
                consented
                ? "the customer was erased" : "the customer's \(message.purpose) consent for \(message.channel) is gone"
            try await run.inTenant { tenant in
                try await MessageStore.move(id, to: "suppressed", reason: reason, attempts: attempts, on: tenant)
            }
            return .succeeded(result: #"{"state":"suppressed"}"#)
        }
        let outcome: MessageChannels.Outcome
        do {
            outcome = try await channels.send(message, to: address, tenant: run.tenant)
        } catch let error as MessageChannels.Unavailable {
            outcome = .refused(state: "failed", reason: error.description)
        }
        ItineraMetrics.messageAttempt(channel: message.channel, outcome: outcome.metric)
        switch outcome {
        case .sent:
            try await run.inTenant { tenant in
                try await MessageStore.move(id, to: "sent", reason: nil, attempts: attempts, on: tenant)
            }
            return .succeeded(result: #"{"state":"sent"}"#)
        case .refused(let state, let reason):
            try await run.inTenant { tenant in
                try await MessageStore.move(id, to: state, reason: reason, attempts: attempts, on: tenant)
            }
            return .failed(reason: reason)
        case .tryAgain(let reason, let after):
            guard job.attempts < job.maxAttempts, let delay = settings.delay(after: job.attempts) else {
                try await run.inTenant { tenant in
                    try await MessageStore.move(
                        id, to: "failed", reason: "\(reason) (after \(job.attempts) attempts)", attempts: attempts,
                        on: tenant)
                }
                return .failed(reason: reason)
            }
            run.logger.debug("Message attempt failed", metadata: ["message": "\(id)", "reason": "\(reason)"])
            throw JobRetry(after: after.map { max($0, .seconds(1)) } ?? delay, reason: reason)
        }
    }
}
