import Foundation
import Synchronization

/// The tenant each credential last named, and its country, remembered in the process. An operation
/// whose first statement depends on the tenant's country (an order reads its customer's telephone
/// number in it) can send that statement with the caller's lookup, in one round trip, and start again
/// in the rare case the guess was wrong (the tenant changed its country, or the process has not seen
/// the credential yet); the tenant picks the pool's connections (`PQPool.affinity`) before the lookup
/// has said whose it is. Only a guess: nothing is decided from it that is not checked.
final class CredentialHints: Sendable {
    struct Hint: Equatable {
        let tenant: UUID
        let country: String
    }

    private struct State {
        var sessions: [Data: Hint] = [:]
        var keys: [String: Hint] = [:]
    }

    /// At most this many credentials are remembered; past it the memory starts again.
    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int = 50_000) {
        self.capacity = capacity
    }

    @inline(never)
    func hint(for credential: Credential) -> Hint? {
        state.withLock { state in
            switch credential {
            case .session(let token): state.sessions[token.hash]
            case .apiKey(let key): state.keys[key.prefix]
            }
        }
    }

    @inline(never)
    func remember(_ hint: Hint, for credential: Credential) {
        state.withLock { state in
            switch credential {
            case .session(let token):
                let hash = token.hash
                guard state.sessions[hash] != hint else { return }
                if state.sessions.count >= capacity { state.sessions = [:] }
                state.sessions[hash] = hint
            case .apiKey(let key):
                guard state.keys[key.prefix] != hint else { return }
                if state.keys.count >= capacity { state.keys = [:] }
                state.keys[key.prefix] = hint
            }
        }
    }
}
