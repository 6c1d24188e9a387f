import Foundation
import Synchronization

/// Counts failed sign-ins per account (tenant and e-mail) and per client address in fixed windows,
/// and refuses further attempts once a key has used its allowance.
///
/// The counts live in this process: behind a load balancer each instance throttles on its own,
/// which bounds an attacker to the per-instance allowance times the number of instances.
public final class LoginThrottle: Sendable {
    /// Allowances per window.
    public struct Limits: Sendable {
        public var failuresPerAccount: Int
        public var failuresPerAddress: Int
        public var window: Duration

        public init(failuresPerAccount: Int = 5, failuresPerAddress: Int = 30, window: Duration = .seconds(900)) {
            self.failuresPerAccount = failuresPerAccount
            self.failuresPerAddress = failuresPerAddress
            self.window = window
        }
    }

    struct Entry {
        var failures: Int
        var windowEnds: ContinuousClock.Instant
    }

    let limits: Limits
    private let entries = Mutex<[String: Entry]>([:])

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    static func accountKey(tenant: String, email: String) -> String { "account:\(tenant)\u{0}\(email)" }
    static func addressKey(_ address: String) -> String { "address:\(address)" }

    /// Throws 429 when the account or the address has no attempts left in its window.
    public func check(tenant: String, email: String, address: String?) throws(Problem) {
        let now = ContinuousClock.now
        var checks = [(Self.accountKey(tenant: tenant, email: email), limits.failuresPerAccount)]
        if let address { checks.append((Self.addressKey(address), limits.failuresPerAddress)) }
        let wait: Duration? = entries.withLock { entries in
            for (key, limit) in checks {
                if let entry = entries[key], entry.windowEnds > now, entry.failures >= limit {
                    return entry.windowEnds - now
                }
            }
            return nil
        }
        if let wait {
            throw Problem.tooManyRequests(
                "Too many failed sign-in attempts; try again later.",
                retryAfter: Int(wait.components.seconds) + 1
            )
        }
    }

    /// Counts a failed attempt against the account and the address.
    public func recordFailure(tenant: String, email: String, address: String?) {
        let now = ContinuousClock.now
        var keys = [Self.accountKey(tenant: tenant, email: email)]
        if let address { keys.append(Self.addressKey(address)) }
        entries.withLock { entries in
            if entries.count > 100_000 {
                entries = entries.filter { $0.value.windowEnds > now }
            }
            for key in keys {
                if var entry = entries[key], entry.windowEnds > now {
                    entry.failures += 1
                    entries[key] = entry
                } else {
                    entries[key] = Entry(failures: 1, windowEnds: now + limits.window)
                }
            }
        }
    }

    /// Clears the account's count after a successful sign-in.
    public func recordSuccess(tenant: String, email: String) {
        _ = entries.withLock { $0.removeValue(forKey: Self.accountKey(tenant: tenant, email: email)) }
    }
}
