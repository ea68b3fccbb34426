#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A schedule file (`--schedule FILE`): a time zone and entries, in JSON.
///
/// ```json
/// {"timezone": "Asia/Shanghai",
///  "catch_up": "once",
///  "entries": [
///    {"name": "heartbeat", "task": "tasks.echo", "args": ["tick"], "every": "10s"},
///    {"name": "flash-sale-cache", "task": "tasks.echo", "kwargs": {"job": "warm"}, "cron": "0 0 * * *", "queue": "celery"},
///    {"name": "refresh", "task": "tasks.echo", "args": [1], "every": "1m", "broadcast": "cache-refresh"},
///    {"name": "launch", "task": "tasks.echo", "at": "2026-12-12T20:00:00", "expires": 600, "priority": 5}]}
/// ```
///
/// Top level: `timezone` (IANA name, default `UTC`), optional `catch_up` (default for
/// entries) and `entries`. An entry has `name` and `task`; exactly one of `every` (`"10s"`,
/// `"5m"`, `"1h30m"` or seconds), `cron` (5 fields) or `at` (ISO-8601; without an offset it
/// is read in the file's time zone); optional `args` (array), `kwargs` (object), `queue`
/// or `broadcast` (not both), `expires` (seconds), `priority` (0–255), `catch_up`
/// (`none`, `once`, `all`). Unknown fields are errors (they are usually typos). Errors
/// name the entry and the field: `entry 'refresh': field 'every': '1x' is not a duration`.
public struct BeatScheduleFile: Sendable {
    /// The time zone of crontab entries and of offset-less `at` dates.
    public var timeZone: TimeZone
    /// Default catch-up policy from the file, if given.
    public var catchUp: CatchUpPolicy?
    /// The entries, in file order.
    public var entries: [BeatEntry]

    static let entryFields: Set<String> = [
        "name", "task", "args", "kwargs", "every", "cron", "at", "queue", "broadcast", "expires", "priority", "catch_up",
    ]

    /// Reads and parses a file; errors name the file.
    public init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CeleryError(.badArguments, "schedule file \(path): cannot read it")
        }
        do { try self.init(json: Array(data)) } catch let e as CeleryError {
            throw CeleryError(e.kind, "schedule file \(path): \(e.message)")
        }
    }

    /// Parses JSON text; throws ``CeleryError`` (`badArguments`) naming entry and field.
    public init(json: [UInt8]) throws {
        func bad(_ m: String) -> CeleryError { CeleryError(.badArguments, m) }
        let doc: JSONValue
        do { doc = try JSONCoding.parse(json) } catch { throw bad("not valid JSON (\(error))") }
        guard let top = doc.objectValue else { throw bad("the top level must be an object with 'entries'") }
        for key in top.keys where !["timezone", "entries", "catch_up"].contains(key) {
            throw bad("unknown top-level field '\(key)' (expected timezone, catch_up, entries)")
        }
        var zone = TimeZone(identifier: "UTC")!
        if let tz = top["timezone"] {
            guard let name = tz.stringValue, let z = TimeZone(identifier: name) else {
                throw bad("field 'timezone': \(tz) is not an IANA time zone name (e.g. \"Asia/Shanghai\", \"UTC\")")
            }
            zone = z
        }
        timeZone = zone
        catchUp = try top["catch_up"].map { try Self.policy($0, context: "field 'catch_up'") }
        guard let list = top["entries"]?.arrayValue else { throw bad("field 'entries' must be an array of entries") }
        var out: [BeatEntry] = []
        var names = Set<String>()
        for (i, item) in list.enumerated() {
            let e = try Self.entry(item, index: i, zone: zone)
            guard names.insert(e.name).inserted else { throw bad("entry '\(e.name)': the name is used twice") }
            out.append(e)
        }
        entries = out
    }

    static func policy(_ v: JSONValue, context: String) throws -> CatchUpPolicy {
        guard let s = v.stringValue, let p = CatchUpPolicy(rawValue: s) else {
            throw CeleryError(.badArguments, "\(context): \(v) is not a catch-up policy (none, once, all)")
        }
        return p
    }

    static func entry(_ v: JSONValue, index: Int, zone: TimeZone) throws -> BeatEntry {
        guard let o = v.objectValue else { throw CeleryError(.badArguments, "entry #\(index + 1): must be an object") }
        guard let name = o["name"]?.stringValue, !name.isEmpty else {
            throw CeleryError(.badArguments, "entry #\(index + 1): field 'name': missing or not a non-empty string")
        }
        func bad(_ field: String, _ why: String) -> CeleryError {
            CeleryError(.badArguments, "entry '\(name)': field '\(field)': \(why)")
        }
        for key in o.keys.sorted() where !entryFields.contains(key) {
            throw CeleryError(.badArguments, "entry '\(name)': unknown field '\(key)'")
        }
        guard let task = o["task"]?.stringValue, !task.isEmpty else { throw bad("task", "missing or not a non-empty string") }
        var args: [JSONValue] = []
        if let a = o["args"] {
            guard let arr = a.arrayValue else { throw bad("args", "\(a) is not an array") }
            args = arr
        }
        var kwargs: [String: JSONValue] = [:]
        if let k = o["kwargs"] {
            guard let obj = k.objectValue else { throw bad("kwargs", "\(k) is not an object") }
            kwargs = obj
        }
        let kinds = ["every", "cron", "at"].filter { o[$0] != nil }
        guard kinds.count == 1 else {
            throw CeleryError(
                .badArguments,
                "entry '\(name)': " + (kinds.isEmpty ? "needs one of 'every', 'cron' or 'at'" : "give only one of \(kinds.map { "'\($0)'" }.joined(separator: ", "))"))
        }
        let schedule: BeatSchedule
        switch kinds[0] {
        case "every":
            let v = o["every"]!
            let d: Duration?
            if let n = v.doubleValue { d = n > 0 && n.isFinite ? .seconds(double: n) : nil } else { d = v.stringValue.flatMap(BeatDuration.parse) }
            guard let d else { throw bad("every", "\(v.stringValue.map { "'\($0)'" } ?? v.description) is not a duration (e.g. \"10s\", \"5m\", \"1h30m\" or seconds)") }
            schedule = .interval(d)
        case "cron":
            guard let s = o["cron"]?.stringValue else { throw bad("cron", "must be a string") }
            do { schedule = .crontab(try Crontab(s), timeZone: zone) } catch let e as CeleryError { throw bad("cron", e.message) }
        default:
            guard let s = o["at"]?.stringValue, let d = parseAt(s, zone: zone) else {
                throw bad("at", "\(o["at"]!) is not an ISO-8601 date (e.g. \"2026-12-01T00:00:00+08:00\")")
            }
            schedule = .at(d)
        }
        var route: Route?
        switch (o["queue"], o["broadcast"]) {
        case (.some, .some): throw CeleryError(.badArguments, "entry '\(name)': give 'queue' or 'broadcast', not both")
        case (let q?, nil):
            guard let s = q.stringValue, !s.isEmpty else { throw bad("queue", "\(q) is not a queue name") }
            route = .queue(s)
        case (nil, let b?):
            guard let s = b.stringValue, !s.isEmpty else { throw bad("broadcast", "\(b) is not a channel name") }
            route = .broadcast(s)
        default: break
        }
        var expires: Duration?
        if let e = o["expires"] {
            guard let n = e.doubleValue, n > 0, n.isFinite else { throw bad("expires", "\(e) is not a positive number of seconds") }
            expires = .seconds(double: n)
        }
        var priority: Int?
        if let p = o["priority"] {
            guard let n = p.intValue, (0...255).contains(n) else { throw bad("priority", "\(p) is not an integer 0-255") }
            priority = Int(n)
        }
        let catchUp = try o["catch_up"].map { try policy($0, context: "entry '\(name)': field 'catch_up'") }
        return BeatEntry(
            name: name, task: task, args: args, kwargs: kwargs, schedule: schedule, route: route, expires: expires,
            priority: priority, catchUp: catchUp)
    }

    /// An ISO-8601 date; without an offset it is a wall time in `zone`.
    static func parseAt(_ s: String, zone: TimeZone) -> Date? {
        let tail = s.dropFirst(19)
        let hasOffset = tail.contains { $0 == "Z" || $0 == "z" || $0 == "+" || $0 == "-" }
        guard let d = CeleryDate.parse(s) else { return nil }
        if hasOffset { return d }
        let wall = Int64(d.timeIntervalSince1970.rounded(.down))
        let frac = d.timeIntervalSince1970 - Double(wall)
        let minute = wall - ((wall % 60) + 60) % 60
        let base = LocalTime.instant(localSeconds: minute, in: zone)
        return base.addingTimeInterval(Double(wall - minute) + frac)
    }
}
