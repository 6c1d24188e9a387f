import CLibPQ
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// One thread that waits, with `epoll`, for the sockets of libpq connections to become readable or
/// writable, and resumes the task waiting on each. Every libpq call runs in that task; the poller only
/// watches, so a pipeline costs one wake-up when its answers arrive.
final class SocketPoller: Sendable {
    static let shared = SocketPoller()

    private let epoll: Int32
    private let waiters = Mutex<[Int32: CheckedContinuation<Void, any Error>]>([:])

    private init() {
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        precondition(epoll >= 0, "epoll_create1 failed: \(errno)")
        let thread = Thread { [self] in run() }
        thread.name = "itinera-libpq-poller"
        thread.start()
    }

    /// Suspends until `socket` is readable (or writable, when `writable`).
    func wait(for socket: Int32, writable: Bool = false) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            waiters.withLock { $0[socket] = continuation }
            var event = epoll_event()
            event.events = (writable ? EPOLLOUT.rawValue : EPOLLIN.rawValue) | EPOLLONESHOT.rawValue
            event.data.fd = socket
            if epoll_ctl(epoll, EPOLL_CTL_MOD, socket, &event) != 0 {
                if epoll_ctl(epoll, EPOLL_CTL_ADD, socket, &event) != 0 {
                    let error = errno
                    let waiter = waiters.withLock { $0.removeValue(forKey: socket) }
                    waiter?.resume(throwing: PQError(connectionMessage: "cannot watch the socket (errno \(error))"))
                }
            }
        }
    }

    /// Stops watching `socket` (before libpq closes it).
    func forget(_ socket: Int32) {
        epoll_ctl(epoll, EPOLL_CTL_DEL, socket, nil)
    }

    private func run() {
        var events = [epoll_event](repeating: epoll_event(), count: 64)
        while true {
            let count = epoll_wait(epoll, &events, Int32(events.count), -1)
            if count < 0 { continue }
            for index in 0..<Int(count) {
                let socket = events[index].data.fd
                let waiter = waiters.withLock { $0.removeValue(forKey: socket) }
                waiter?.resume()
            }
        }
    }
}
