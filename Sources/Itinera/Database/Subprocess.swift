import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a program to completion and returns what it printed; a non-zero exit is an error carrying
/// the program's own output.
///
/// Built on `posix_spawnp` and `waitpid` rather than Foundation's `Process`, whose exit monitoring
/// can miss the end of a program that leaves a daemon behind (as `pg_ctl start` does). Output goes
/// to a temporary file, not a pipe, so a daemon holding an inherited descriptor cannot stall the read.
public enum Subprocess {
    /// A program that exited with a non-zero status, with what it printed.
    public struct Failure: Error, CustomStringConvertible {
        public let command: String
        public let status: Int32
        public let output: String

        public var description: String { "`\(command)` exited with status \(status): \(output)" }
    }

    /// Runs `executable` (a path, or a name looked up on `PATH`) and returns its combined output.
    @discardableResult
    public static func run(_ executable: String, _ arguments: [String]) throws -> String {
        let outputPath = FileManager.default.temporaryDirectory
            .appendingPathComponent("itinera-subprocess-\(UUID().uuidString)").path
        defer { unlink(outputPath) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        // The calling thread (a dispatch worker) blocks signals, and a spawned child inherits that
        // mask: reset it and every disposition, or the child cannot be stopped with SIGTERM.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var emptySet = sigset_t()
        sigemptyset(&emptySet)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &emptySet)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid = pid_t()
        let spawned = posix_spawnp(&pid, executable, &actions, &attributes, argv, environ)
        let command = ([executable] + arguments).joined(separator: " ")
        guard spawned == 0 else {
            throw Failure(command: command, status: -1, output: String(cString: strerror(spawned)))
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        // WIFEXITED / WEXITSTATUS are macros: exited normally when the low 7 bits are zero.
        let exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        guard exitStatus == 0 else {
            throw Failure(command: command, status: exitStatus, output: output)
        }
        return output
    }
}
