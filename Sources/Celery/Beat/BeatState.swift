#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What beat remembers per entry: the last tick sent (or deliberately skipped) and how
/// many were sent. Ticks at or before ``EntryState/lastRun`` are never sent again.
///
/// File form (`celerybeat-state.json`):
/// `{"version": 1, "entries": {"heartbeat": {"last_run_at": "2026-11-28T00:00:10Z", "total_run_count": 42}}}`
public struct BeatState: Sendable, Hashable {
    /// One entry's record.
    public struct EntryState: Sendable, Hashable {
        /// The tick time of the last tick sent or skipped.
        public var lastRun: Date
        /// Ticks sent so far.
        public var runCount: Int

        /// Creates a record.
        public init(lastRun: Date, runCount: Int) {
            self.lastRun = lastRun
            self.runCount = runCount
        }
    }

    /// Records by entry name.
    public var entries: [String: EntryState]

    /// Creates a state.
    public init(entries: [String: EntryState] = [:]) { self.entries = entries }

    /// The JSON form.
    public func encoded() -> [UInt8] {
        var obj: [String: JSONValue] = [:]
        for (name, e) in entries {
            obj[name] = ["last_run_at": .string(BeatTick.isoString(e.lastRun)), "total_run_count": .int(Int64(e.runCount))]
        }
        let doc: JSONValue = ["version": 1, "entries": .object(obj)]
        return (try? JSONCoding.encode(doc)) ?? Array("{}".utf8)
    }

    /// Decodes the JSON form; throws ``CeleryError`` (`decoding`) naming the problem.
    public init(decoding bytes: [UInt8], source: String = "state") throws {
        let doc: JSONValue
        do { doc = try JSONCoding.parse(bytes) } catch {
            throw CeleryError(.decoding, "\(source): not JSON (\(error))")
        }
        guard let entries = doc["entries"]?.objectValue else {
            throw CeleryError(.decoding, "\(source): no 'entries' object")
        }
        var out: [String: EntryState] = [:]
        for (name, v) in entries {
            guard let s = v["last_run_at"]?.stringValue, let d = CeleryDate.parse(s) else {
                throw CeleryError(.decoding, "\(source): entry '\(name)': 'last_run_at' is not an ISO-8601 date")
            }
            let n = v["total_run_count"]?.intValue ?? 0
            out[name] = EntryState(lastRun: d, runCount: Int(n))
        }
        self.entries = out
    }
}
