import CLibPQ
import Foundation
import Synchronization

/// A connection's cancel key (`PGcancel`), freed when nothing holds it any more.
final class PQCancelKey: @unchecked Sendable {
    let key: OpaquePointer?

    init(_ key: OpaquePointer?) {
        self.key = key
    }

    deinit { PQfreeCancel(key) }
}

/// Sends a cancel request for one pipeline's statements, at most once, from a thread of its own
/// (`PQcancel` opens a connection to the server and waits for it).
final class PQCanceller: Sendable {
    private let key: PQCancelKey?
    private let sending = Atomic<Bool>(false)

    /// Whether a cancel request was sent.
    var sent: Bool { sending.load(ordering: .relaxed) }

    init(_ key: PQCancelKey?) {
        self.key = key
    }

    func cancel() {
        guard let key, key.key != nil, !sending.exchange(true, ordering: .relaxed) else { return }
        let thread = Thread {
            var message = [CChar](repeating: 0, count: 256)
            _ = PQcancel(key.key, &message, Int32(message.count))
        }
        thread.start()
    }
}
