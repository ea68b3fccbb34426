#if canImport(Glibc)
import Glibc
#endif

/// Writes `text` to standard error, unbuffered.
package func writeStandardError(_ text: String) { writeAll(2, text) }

/// Writes `text` to standard output (flushing stdio's buffer first, so it stays in order with `print`).
package func writeStandardOutput(_ text: String) {
    fflush(nil)
    writeAll(1, text)
}

private func writeAll(_ fd: Int32, _ text: String) {
    var bytes = Array(text.utf8)
    var off = 0
    while off < bytes.count {
        let n = bytes.withUnsafeMutableBytes { write(fd, $0.baseAddress! + off, $0.count - off) }
        if n < 0 { if errno == EINTR { continue }; return }
        off += n
    }
}
