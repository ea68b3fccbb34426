#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Keeps the state in a JSON file, replaced atomically on every save: the new content is
/// written to `<file>.tmp`, `fsync`ed, renamed over the file, and the directory is
/// `fsync`ed. A crash leaves either the old or the new file, never a torn one.
public struct FileBeatStateStore: BeatStateStore {
    /// The state file path.
    public let path: String

    /// A store at `path` (default name `celerybeat-state.json`).
    public init(path: String = "celerybeat-state.json") { self.path = path }

    public func load() throws -> BeatState {
        guard let data = FileManager.default.contents(atPath: path) else { return BeatState() }
        return try BeatState(decoding: Array(data), source: "state file \(path)")
    }

    public func save(_ state: BeatState) throws {
        let bytes = state.encoded()
        let tmp = path + ".tmp"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure("cannot create \(tmp)") }
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                close(fd)
                throw failure("cannot write \(tmp)")
            }
            written += n
        }
        guard fsync(fd) == 0 else {
            close(fd)
            throw failure("cannot fsync \(tmp)")
        }
        close(fd)
        guard rename(tmp, path) == 0 else { throw failure("cannot rename \(tmp) to \(path)") }
        let dir = path.lastIndex(of: "/").map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? ""
        let dfd = open(dir.isEmpty ? "." : dir, O_RDONLY | O_CLOEXEC)
        if dfd >= 0 {
            _ = fsync(dfd)
            close(dfd)
        }
    }

    private func failure(_ what: String) -> CeleryError {
        CeleryError(.invalidState, "state file: \(what): \(String(cString: strerror(errno)))")
    }
}
