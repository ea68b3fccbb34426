import Foundation

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
        return ms == 0 || ms == 1000 ? "\(base)Z" : "\(base)." + String(format: "%03d", ms) + "Z"
    }

    /// UUID v5 of a name in ``namespace``.
    static func uuid5(_ name: String, namespace: [UInt8] = BeatTick.namespace) -> String {
        var h = SHA1.hash(namespace + Array(name.utf8))
        h[6] = (h[6] & 0x0f) | 0x50
        h[8] = (h[8] & 0x3f) | 0x80
        let hex = h.prefix(16).map { String(format: "%02x", $0) }.joined()
        let c = Array(hex)
        return String(c[0..<8]) + "-" + String(c[8..<12]) + "-" + String(c[12..<16]) + "-" + String(c[16..<20]) + "-"
            + String(c[20..<32])
    }
}

/// SHA-1 (FIPS 180-4), only for UUID v5 names — not for security.
enum SHA1 {
    static func hash(_ message: [UInt8]) -> [UInt8] {
        var h: [UInt32] = [0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476, 0xC3D2_E1F0]
        var m = message
        let bitLength = UInt64(message.count) * 8
        m.append(0x80)
        while m.count % 64 != 56 { m.append(0) }
        for i in (0..<8).reversed() { m.append(UInt8(truncatingIfNeeded: bitLength >> (UInt64(i) * 8))) }
        var w = [UInt32](repeating: 0, count: 80)
        for chunk in stride(from: 0, to: m.count, by: 64) {
            for i in 0..<16 {
                let b = chunk + i * 4
                w[i] = UInt32(m[b]) << 24 | UInt32(m[b + 1]) << 16 | UInt32(m[b + 2]) << 8 | UInt32(m[b + 3])
            }
            for i in 16..<80 {
                let x = w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]
                w[i] = x << 1 | x >> 31
            }
            var (a, b, c, d, e) = (h[0], h[1], h[2], h[3], h[4])
            for i in 0..<80 {
                let f: UInt32, k: UInt32
                switch i {
                case 0..<20: f = (b & c) | (~b & d); k = 0x5A82_7999
                case 20..<40: f = b ^ c ^ d; k = 0x6ED9_EBA1
                case 40..<60: f = (b & c) | (b & d) | (c & d); k = 0x8F1B_BCDC
                default: f = b ^ c ^ d; k = 0xCA62_C1D6
                }
                let t = (a << 5 | a >> 27) &+ f &+ e &+ k &+ w[i]
                e = d; d = c; c = b << 30 | b >> 2; b = a; a = t
            }
            h[0] &+= a; h[1] &+= b; h[2] &+= c; h[3] &+= d; h[4] &+= e
        }
        return h.flatMap { v in (0..<4).map { UInt8(truncatingIfNeeded: v >> (24 - UInt32($0) * 8)) } }
    }
}
