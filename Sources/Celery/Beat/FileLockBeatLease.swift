#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A lease for beat processes on **one machine**: an exclusive `flock` on a file. The
/// kernel drops the lock when its holder exits or crashes, so there is nothing to expire;
/// the TTL is ignored and renewal only confirms the lock is still held.
///
/// Each instance holds at most one lock; two instances (in one process or in two) on the
/// same path exclude each other.
public final class FileLockBeatLease: BeatLease {
    /// The lock file path.
    public let path: String
    private let fd = Mutex<Int32?>(nil)

    /// A lease on `path` (created when missing).
    public init(path: String) { self.path = path }

    deinit { fd.withLock { if let f = $0 { closeDescriptor(f) } } }

    public var displayName: String { "file lock \(path)" }

    public func acquire(holder: String, ttl: Duration) async throws -> Bool {
        try fd.withLock { held in
            if held != nil { return true }
            let f = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard f >= 0 else {
                throw CeleryError(.invalidState, "lease file \(path): \(String(cString: strerror(errno)))")
            }
            if flock(f, LOCK_EX | LOCK_NB) != 0 {
                let e = errno
                closeDescriptor(f)
                if e == EWOULDBLOCK { return false }
                throw CeleryError(.invalidState, "lease file \(path): flock: \(String(cString: strerror(e)))")
            }
            _ = ftruncate(f, 0)
            let text = Array("\(holder) pid \(ProcessInfo.processInfo.processIdentifier)\n".utf8)
            _ = text.withUnsafeBytes { write(f, $0.baseAddress, $0.count) }
            held = f
            return true
        }
    }

    public func renew(holder: String, ttl: Duration) async throws -> Bool { fd.withLock { $0 != nil } }

    public func release(holder: String) async throws {
        fd.withLock { held in
            if let f = held {
                _ = flock(f, LOCK_UN)
                closeDescriptor(f)
                held = nil
            }
        }
    }
}

/// `close(2)` (the lease's own `close()` shadows the C function's name inside the type).
private func closeDescriptor(_ fd: Int32) {
    #if canImport(Glibc)
    _ = Glibc.close(fd)
    #elseif canImport(Darwin)
    _ = Darwin.close(fd)
    #endif
}
