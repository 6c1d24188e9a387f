import Foundation
import Synchronization

/// Token buckets per API key and per tenant.
///
/// Each request takes one token from its tenant's bucket and, for an API key, one from the key's;
/// buckets refill continuously at `perSecond` up to `burst`. The buckets live in this process, so
/// behind a load balancer each instance grants the configured rate (see docs/operations.md).
public final class RateLimiter: Sendable {
    /// A sustained rate and the burst allowed above it.
    public struct Limit: Sendable, Equatable {
        public var perSecond: Double
        public var burst: Double

        public init(perSecond: Double, burst: Double) {
            self.perSecond = perSecond
            self.burst = burst
        }
    }

    struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    let perKey: Limit
    let perTenant: Limit
    private let buckets = Mutex<[String: Bucket]>([:])

    public init(perKey: Limit, perTenant: Limit) {
        self.perKey = perKey
        self.perTenant = perTenant
    }

    /// Takes a token for the request, or throws 429 with the seconds until one is free.
    func admit(tenant: UUID, key: UUID?) throws(Problem) {
        let now = ContinuousClock.now
        var checks = [("tenant:\(tenant)", perTenant, "tenant")]
        if let key { checks.append(("key:\(key)", perKey, "API key")) }
        let refusal: (Double, String)? = buckets.withLock { buckets in
            if buckets.count > 100_000 { prune(&buckets, now: now) }
            var refilled: [(String, Bucket)] = []
            for (name, limit, what) in checks {
                var bucket = buckets[name] ?? Bucket(tokens: limit.burst, updated: now)
                let elapsed = (now - bucket.updated) / .seconds(1)
                bucket.tokens = min(limit.burst, bucket.tokens + elapsed * limit.perSecond)
                bucket.updated = now
                if bucket.tokens < 1 {
                    buckets[name] = bucket
                    return ((1 - bucket.tokens) / limit.perSecond, what)
                }
                refilled.append((name, bucket))
            }
            for (name, var bucket) in refilled {
                bucket.tokens -= 1
                buckets[name] = bucket
            }
            return nil
        }
        if let (wait, what) = refusal {
            throw .tooManyRequests(
                "The \(what)'s request rate limit is used up; retry after the time in Retry-After.",
                retryAfter: max(1, Int(wait.rounded(.up)))
            )
        }
    }

    /// Drops buckets that have refilled completely: they hold nothing a fresh bucket would not.
    private func prune(_ buckets: inout [String: Bucket], now: ContinuousClock.Instant) {
        let longest = max(perKey.burst / perKey.perSecond, perTenant.burst / perTenant.perSecond)
        buckets = buckets.filter { now - $0.value.updated < .seconds(longest) }
    }
}
