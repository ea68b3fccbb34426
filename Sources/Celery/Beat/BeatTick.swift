#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One scheduled run of one entry: its name and deterministic identifiers.
///
/// The tick name is `<entry>@<tick time ISO-8601 UTC>` (e.g. `heartbeat@2026-11-28T00:00:10Z`);
/// the task id is a UUID version 5 (SHA-1, RFC 9562) of that name in a fixed namespace, so
/// every beat process that sends the same tick uses the same task id, and a consumer can
/// detect duplicates by id or by the `beat-tick` header.
public struct BeatTick: Sendable, Hashable, CustomStringConvertible {
    /// The header that carries ``name`` on every scheduled message.
    public static let header = "beat-tick"
    /// The UUID namespace of tick ids (fixed for this project).
    public static let namespace: [UInt8] = [
        0x6b, 0x1e, 0x7a, 0x52, 0x3c, 0x0d, 0x4f, 0x8e, 0x9a, 0x55, 0x2b, 0x31, 0xc4, 0x7d, 0x90, 0x1f,
    ]

    /// The entry name.
    public let entry: String
    /// When the tick was due.
    public let time: Date

    /// A tick of an entry at a time.
    public init(entry: String, time: Date) {
        self.entry = entry
        self.time = time
    }

    /// `<entry>@<ISO time>`.
    public var name: String { "\(entry)@\(Self.isoString(time))" }

    /// The deterministic task id (lower-case UUID string).
    public var taskId: String { Self.uuid5(name) }

    public var description: String { name }

    /// ISO-8601 in UTC: `2026-11-28T00:00:10Z`, or with milliseconds when the time has a
    /// fraction (`…10.250Z`).
    public static func isoString(_ d: Date) -> String {
        let t = d.timeIntervalSince1970
        let whole = t.rounded(.down)
        let ms = Int(((t - whole) * 1000).rounded())
        let base = CeleryDate.format(Date(timeIntervalSince1970: whole)).prefix(19)
        return ms == 0 || ms == 1000 ? "\(base)Z" : "\(base)." + Format.zeroPadded(ms, width: 3) + "Z"
    }

    /// UUID v5 of a name in ``namespace``.
    static func uuid5(_ name: String, namespace: [UInt8] = BeatTick.namespace) -> String {
        var h = SHA1.hash(namespace + Array(name.utf8))
        h[6] = (h[6] & 0x0f) | 0x50
        h[8] = (h[8] & 0x3f) | 0x80
        let hex = Format.hex(h.prefix(16))
        let c = Array(hex)
        return String(c[0..<8]) + "-" + String(c[8..<12]) + "-" + String(c[12..<16]) + "-" + String(c[16..<20]) + "-"
            + String(c[20..<32])
    }
}
