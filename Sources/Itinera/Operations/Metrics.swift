import CoreMetrics
import Foundation
import Prometheus
import Synchronization

/// The process's metrics, in Prometheus's text format at `GET /metrics`.
///
/// Code records through swift-metrics (`Counter`, `Timer`, `Gauge`); the backend, bootstrapped once per
/// process (`ItineraMetrics.bootstrap`), is swift-prometheus's registry, which `/metrics` writes out.
/// Names are Prometheus's (`itinera_jobs_total`); Hummingbird's request metrics (`hb.requests`,
/// `http.server.request.duration`) have their dots written as underscores.
public enum ItineraMetrics {
    static let registry = PrometheusCollectorRegistry()

    private static let bootstrapped = Mutex(false)

    /// Makes swift-metrics record into `registry`; later calls do nothing.
    public static func bootstrap() {
        bootstrapped.withLock { done in
            guard !done else { return }
            done = true
            var factory = PrometheusMetricsFactory(registry: registry)
            factory.defaultDurationHistogramBuckets = [
                .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
                .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
                .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30),
            ]
            factory.nameAndLabelSanitizer = { name, labels in
                (sanitized(name), labels.map { (sanitized($0.0), $0.1) })
            }
            MetricsSystem.bootstrap(factory)
        }
    }

    /// A Prometheus name: letters, digits and underscores, not starting with a digit.
    static func sanitized(_ name: String) -> String {
        let mapped = String(
            name.unicodeScalars.map { scalar -> Character in
                ("0"..."9").contains(scalar) || ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
                    || scalar == "_" ? Character(scalar) : "_"
            })
        return mapped.first?.isNumber == true ? "_" + mapped : mapped
    }

    /// A job ended: counted by kind and outcome, timed by kind.
    static func jobEnded(kind: String, outcome: String, duration: Duration) {
        Counter(label: "itinera_jobs_total", dimensions: [("kind", kind), ("outcome", outcome)]).increment()
        Timer(label: "itinera_job_duration_seconds", dimensions: [("kind", kind)])
            .recordNanoseconds(Int64(duration.milliseconds * 1_000_000))
    }

    /// One webhook attempt: counted by outcome (`delivered`, `retry`, `failed`), timed.
    static func webhookAttempt(outcome: String, duration: Duration) {
        Counter(label: "itinera_webhook_attempts_total", dimensions: [("outcome", outcome)]).increment()
        Timer(label: "itinera_webhook_attempt_duration_seconds", dimensions: [])
            .recordNanoseconds(Int64(duration.milliseconds * 1_000_000))
    }

    /// One attempt to send a message: counted by channel and outcome (`sent`, `bounced`, `failed`,
    /// `retry`).
    static func messageAttempt(channel: String, outcome: String) {
        Counter(label: "itinera_message_attempts_total", dimensions: [("channel", channel), ("outcome", outcome)])
            .increment()
    }
}
