import NIOCore
import NIOPosix

/// Where Swift concurrency runs Itinera's tasks.
public enum EventLoopExecutor {
    /// Makes NIO's event loops (the ones the HTTP server and PostgreSQL connections read and write
    /// on) Swift concurrency's global executor, so that a request's handler runs on the loop its
    /// bytes arrive on instead of hopping to the cooperative pool and back at every `await`. Call
    /// once, first thing in `main`. CPU-heavy work (password hashing, checking an import's lines)
    /// goes to `NIOThreadPool` so that it does not hold a loop.
    ///
    /// - Returns: whether the loops took over; when not, tasks run on Swift's own pool as usual.
    @discardableResult
    public static func install() -> Bool {
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
    }
}
