import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where the example's tasks read uploads and write their output. The web process and an
/// external worker must see the same directories (one machine, or a shared volume).
public struct WebAppSettings: Sendable, Hashable {
    /// Root of uploads (`uploads/`) and thumbnails (`thumbnails/`); default `./webapp-data`
    /// (env `CELERY_WEBAPP_DATA`).
    public var dataDirectory: String
    /// Where welcome mails are written as `<task-id>.eml`; default `<data>/outbox`
    /// (env `CELERY_WEBAPP_OUTBOX`).
    public var outbox: String

    /// Settings from explicit paths (`nil` = the environment, then the default).
    public init(dataDirectory: String? = nil, outbox: String? = nil) {
        let env = ProcessInfo.processInfo.environment
        let data = dataDirectory ?? env["CELERY_WEBAPP_DATA"].flatMap { $0.isEmpty ? nil : $0 } ?? "webapp-data"
        self.dataDirectory = data
        self.outbox = outbox ?? env["CELERY_WEBAPP_OUTBOX"].flatMap { $0.isEmpty ? nil : $0 } ?? data + "/outbox"
    }

    /// `<data>/uploads`.
    public var uploads: String { dataDirectory + "/uploads" }
    /// `<data>/thumbnails`.
    public var thumbnails: String { dataDirectory + "/thumbnails" }

    /// Creates the directories (no error when they exist).
    public func createDirectories() throws {
        for d in [uploads, thumbnails, outbox] {
            do { try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true) } catch {
                throw WebAppError(.io, "cannot create directory \(d): \(error)")
            }
        }
    }

    /// Writes `bytes` to `path` atomically (a temporary file renamed into place), so a reader
    /// never sees half a file and a rerun of the same task replaces it whole.
    public static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        let tmp = path + ".tmp-\(UUID().uuidString.prefix(8))"
        guard FileManager.default.createFile(atPath: tmp, contents: Data(bytes)) else {
            throw WebAppError(.io, "cannot write \(tmp)")
        }
        if rename(tmp, path) != 0 {
            try? FileManager.default.removeItem(atPath: tmp)
            throw WebAppError(.io, "cannot rename \(tmp) to \(path)")
        }
    }

    /// Whether `name` is a plain file name the app made: letters, digits, `-`, `_` and one
    /// `.ext`, no path separators (message arguments never reach outside the data directory).
    public static func isSafeFileName(_ name: String) -> Bool {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, name.utf8.count <= 100 else { return false }
        return name.unicodeScalars.allSatisfy { $0 == "." || $0 == "-" || $0 == "_" || ($0.isASCII && $0.properties.isAlphabetic) || ("0"..."9").contains($0) }
    }
}
