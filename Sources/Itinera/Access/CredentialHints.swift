import Foundation
import Synchronization

/// The country of the tenant each credential last named, remembered in the process: an operation
/// whose first statement depends on the tenant's country (an order reads its customer's telephone
/// number in it) can send that statement with the caller's lookup, in one round trip, and start again
/// in the rare case the guess was wrong (the tenant changed its country, or the process has not seen
/// the credential yet). Only a guess: nothing is decided from it that is not checked.
final class CredentialHints: Sendable {
    private struct State {
        var sessions: [Data: String] = [:]
        var keys: [String: String] = [:]
    }

    /// At most this many credentials are remembered; past it the memory starts again.
    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int = 50_000) {
        self.capacity = capacity
    }

    @inline(never)
    func country(for credential: Credential) -> String? {
        state.withLock { state in
            switch credential {
            case .session(let token): state.sessions[token.hash]
            case .apiKey(let key): state.keys[key.prefix]
            }
        }
    }

    @inline(never)
    func remember(_ country: String, for credential: Credential) {
        state.withLock { state in
            switch credential {
            case .session(let token):
                let hash = token.hash
                guard state.sessions[hash] != country else { return }
                if state.sessions.count >= capacity { state.sessions = [:] }
                state.sessions[hash] = country
            case .apiKey(let key):
                guard state.keys[key.prefix] != country else { return }
                if state.keys.count >= capacity { state.keys = [:] }
                state.keys[key.prefix] = country
            }
        }
    }
}
