#if canImport(Glibc)
import Glibc
#endif
import Celery
import CeleryCommands
import Dispatch
import Synchronization

/// A child process started with `posix_spawn`: the few things the demo and the benchmark need
/// from Foundation's `Process`, without linking the full Foundation (and ICU) into every
/// executable of the package.
final class ChildProcess: Sendable {
    enum Output { case inherit, discard, pipe }

    let pid: pid_t
    /// The read end of the child's standard output when it was started with `.pipe`.
    let stdoutFD: Int32?
    private let exitStatus = ExitState()

    private final class ExitState: Sendable {
        let state = Mutex<(status: Int32?, waiters: [CheckedContinuation<Int32, Never>])>((nil, []))
        func withLock<R>(_ body: (inout (status: Int32?, waiters: [CheckedContinuation<Int32, Never>])) -> R) -> R {
            state.withLock { body(&$0) }
        }
    }

    /// Starts `executable` with `arguments` (not including argv[0]) and this process's
    /// environment; signals are reset to their defaults in the child. `onExit` runs once
    /// with the exit code (128 + signal when killed) when the child ends.
    init(executable: String, arguments: [String], stdin: Output = .inherit, stdout: Output = .inherit,
         stderr: Output = .inherit, onExit: (@Sendable (Int32) -> Void)? = nil) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var pipeFDs: [Int32] = [-1, -1]
        if stdout == .pipe {
            guard pipe(&pipeFDs) == 0 else { throw SpawnError(message: "pipe: \(String(cString: strerror(errno)))") }
            // Neither end may leak into other children; dup2 in the child clears the flag on fd 1.
            for fd in pipeFDs { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            posix_spawn_file_actions_adddup2(&actions, pipeFDs[1], 1)
        }
        for (fd, mode) in [(Int32(0), stdin), (1, stdout), (2, stderr)] where mode == .discard {
            posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0)
        }
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var all = sigset_t()
        sigfillset(&all)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attr, &all)
        posix_spawnattr_setsigmask(&attr, &none)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, executable, &actions, &attr, argv, environ)
        if stdout == .pipe { close(pipeFDs[1]) }
        guard rc == 0 else {
            if stdout == .pipe { close(pipeFDs[0]) }
            throw SpawnError(message: "cannot start \(executable): \(String(cString: strerror(rc)))")
        }
        pid = child
        stdoutFD = stdout == .pipe ? pipeFDs[0] : nil
        // One reaper per child: the only caller of waitpid for it.
        DispatchQueue.global().async { [exitStatus, child] in
            var raw: Int32 = 0
            while waitpid(child, &raw, 0) < 0 && errno == EINTR {}
            let code = (raw & 0x7f) == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
            let waiters = exitStatus.withLock { s in
                s.status = code
                defer { s.waiters = [] }
                return s.waiters
            }
            for w in waiters { w.resume(returning: code) }
            onExit?(code)
        }
    }

    deinit { if let stdoutFD { close(stdoutFD) } }

    /// Runs `/bin/sh -c command`.
    static func shell(_ command: String, stdin: Output = .inherit, stdout: Output = .inherit, stderr: Output = .inherit,
                      onExit: (@Sendable (Int32) -> Void)? = nil) throws -> ChildProcess {
        try ChildProcess(executable: "/bin/sh", arguments: ["-c", command], stdin: stdin, stdout: stdout, stderr: stderr, onExit: onExit)
    }

    /// The exit code once the child has ended (128 + signal number when a signal ended it).
    var terminationStatus: Int32? { exitStatus.withLock { $0.status } }
    var isRunning: Bool { terminationStatus == nil }

    /// Waits for the child to end; returns its exit code.
    func waitForExit() async -> Int32 {
        await withCheckedContinuation { c in
            let done: Int32? = exitStatus.withLock { s in
                if let st = s.status { return st }
                s.waiters.append(c)
                return nil
            }
            if let done { c.resume(returning: done) }
        }
    }

    /// Sends `signal` if the child is still running.
    func send(_ signal: Int32) {
        exitStatus.withLock { s in if s.status == nil { _ = kill(pid, signal) } }
    }

    /// Reads standard output (started with `.pipe`) line by line until `predicate` holds for the
    /// lines so far, the child closes it, or `timeout` passes; returns every line read.
    func readLines(timeout: Duration, until predicate: @escaping @Sendable ([String]) -> Bool) async -> [String] {
        guard let fd = stdoutFD else { return [] }
        return await withCheckedContinuation { (c: CheckedContinuation<[String], Never>) in
            DispatchQueue.global().async {
                var lines: [String] = []
                var buffer: [UInt8] = []
                let deadline = ContinuousClock.now.advanced(by: timeout)
                var chunk = [UInt8](repeating: 0, count: 4096)
                while ContinuousClock.now < deadline {
                    let left = deadline - ContinuousClock.now
                    var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                    let ms = Int32(min(Double(Int32.max), max(1, left.seconds * 1000)))
                    let ready = poll(&pfd, 1, ms)
                    if ready < 0 { if errno == EINTR { continue }; break }
                    if ready == 0 { continue }
                    let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                    if n < 0 { if errno == EINTR { continue }; break }
                    if n == 0 { break }
                    buffer.append(contentsOf: chunk[0..<n])
                    while let nl = buffer.firstIndex(of: 10) {
                        lines.append(String(decoding: buffer[..<nl], as: UTF8.self))
                        buffer.removeSubrange(...nl)
                    }
                    if predicate(lines) { break }
                }
                c.resume(returning: lines)
            }
        }
    }

    struct SpawnError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }
}
