import Foundation
import Logging

/// Sends one delivery (`webhook.deliver`, queued by the outbox or a replay): signs the event with the
/// endpoint's secrets, posts it, and records the attempt. A 2xx delivers it; a `410 Gone` disables
/// the endpoint; anything else is tried again on the back-off schedule (or after the receiver's
/// `Retry-After` on 429 and 503) until the attempts run out, and an endpoint that has failed every
/// delivery for five days is disabled. Deliveries are at least once: a worker that dies after the
/// receiver answered and before the attempt was recorded sends it again, with the same `webhook-id`.
struct WebhookDeliveryJob: JobHandler {
    static let kind = "webhook.deliver"
    var kind: String { Self.kind }

    let client: WebhookClient
    var settings: WebhookSettings { client.settings }

    func run(_ job: Job, in run: JobRun) async throws -> JobOutcome {
        guard let data = job.payload.data(using: .utf8),
            let payload = try? JSONDecoder().decode([String: UUID].self, from: data), let id = payload["delivery"]
        else { return .failed(reason: "the job names no delivery") }
        guard let dispatch = try await run.inTenant({ try await WebhookDeliveryStore.dispatch(id, on: $0) }) else {
            return .cancelled(reason: "the delivery or its endpoint was removed")
        }
        guard dispatch.deliveryState == "pending" else {
            return .succeeded(result: #"{"already":"\#(dispatch.deliveryState)"}"#)
        }
        guard dispatch.endpointState == "enabled" else {
            try await run.inTenant { tenant in
                try await WebhookDeliveryStore.abandon(id, reason: "the endpoint is disabled", on: tenant)
            }
            return .cancelled(reason: "the endpoint is disabled")
        }
        let body = Array(dispatch.body.utf8)
        let messageID = dispatch.eventID.uuidString.lowercased()
        let timestamp = Int64(Date().timeIntervalSince1970)
        let headers = [
            ("webhook-id", messageID), ("webhook-timestamp", String(timestamp)),
            (
                "webhook-signature",
                WebhookSignature.header(id: messageID, timestamp: timestamp, body: body, secrets: dispatch.secrets)
            ),
        ]
        let started = ContinuousClock.now
        let outcome: Result<WebhookResponse, WebhookSendError>
        do {
            outcome = .success(try await client.post(dispatch.url, headers: headers, body: body))
        } catch let error as WebhookSendError {
            outcome = .failure(error)
        } catch {
            outcome = .failure(.unreachable("\(error)"))
        }
        let attempt = Attempt(outcome, attempt: job.attempts, of: job.maxAttempts, settings: settings)
        ItineraMetrics.webhookAttempt(
            outcome: attempt.state == "pending" ? "retry" : attempt.state, duration: ContinuousClock.now - started)
        run.logger.debug(
            "Webhook attempt",
            metadata: [
                "delivery": "\(id)", "status": "\(attempt.status.map(String.init) ?? "-")", "state": "\(attempt.state)",
                "ms": "\((ContinuousClock.now - started).milliseconds)",
            ])
        let disableAfter = settings.disableAfter
        try await run.inTenant { tenant in
            let failingSince = try await WebhookDeliveryStore.recordAttempt(
                id, endpoint: dispatch.endpointID, state: attempt.state, status: attempt.status, error: attempt.error,
                retryIn: attempt.retryAfter,
                on: tenant)
            let reason: String? =
                attempt.gone
                ? "the receiver answered 410 Gone"
                : failingSince.flatMap { since in
                    Date().timeIntervalSince(since) >= Double(disableAfter.milliseconds) / 1000
                        ? "every delivery has failed since \(since.formatted(.iso8601))" : nil
                }
            if let reason {
                try await WebhookEndpoints.disable(
                    dispatch.endpointID, reason: reason, tenantID: run.tenant.id, maxAttempts: settings.maxAttempts,
                    on: tenant)
            }
        }
        switch attempt.state {
        case "delivered": return .succeeded(result: #"{"status":\#(attempt.status ?? 0)}"#)
        case "pending": throw JobRetry(after: attempt.retryAfter ?? .seconds(1), reason: attempt.error ?? "failed")
        default: return .failed(reason: attempt.error ?? "failed")
        }
    }

    /// What one attempt's outcome means for the delivery.
    struct Attempt {
        var state: String
        var status: Int?
        var error: String?
        var retryAfter: Duration?
        /// The receiver answered `410 Gone`: the endpoint is disabled.
        var gone = false

        init(
            _ outcome: Result<WebhookResponse, WebhookSendError>, attempt: Int, of attempts: Int,
            settings: WebhookSettings
        ) {
            var wait: Duration?
            switch outcome {
            case .success(let response) where (200..<300).contains(response.status):
                state = "delivered"
                status = response.status
                return
            case .success(let response):
                status = response.status
                error = "the receiver answered \(response.status)"
                gone = response.status == 410
                wait = response.retryAfter
            case .failure(let failure):
                error = failure.description
            }
            if !gone, attempt < attempts, let delay = settings.delay(after: attempt) {
                state = "pending"
                retryAfter = wait.map { max($0, .seconds(1)) } ?? delay
            } else {
                state = "failed"
            }
        }
    }
}
