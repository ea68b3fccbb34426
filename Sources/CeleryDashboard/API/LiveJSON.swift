import Celery
import Foundation

/// The small JSON objects pushed to pages over server-sent events.
enum LiveJSON {
    static func task(_ t: TaskRecord) -> JSONValue {
        func s(_ v: String?) -> JSONValue { v.map(JSONValue.string) ?? .null }
        return [
            "id": .string(t.id), "name": s(t.name), "state": .string(t.state), "worker": s(t.worker),
            "runtime": t.runtime.map(JSONValue.double) ?? .null, "result": s(t.result.map { String($0.prefix(200)) }),
            "exception": s(t.exception.map { String($0.prefix(200)) }), "args": s(t.args.map { String($0.prefix(200)) }),
            "kwargs": s(t.kwargs.map { String($0.prefix(200)) }), "timestamp": .double(t.timestamp),
        ]
    }

    static func summary(_ d: Dashboard) -> JSONValue {
        let now = Date().timeIntervalSince1970
        var states: [String: Int] = [:]
        for (_, byState) in d.cluster.countsByName { for (s, n) in byState { states[s, default: 0] += n } }
        let workers = d.cluster.workers
        return [
            "time": .double(now),
            "workers": .array(workers.map { w in
                [
                    "hostname": .string(w.hostname), "online": .bool(d.cluster.isOnline(w, now: now)), "active": .int(Int64(w.active)),
                    "processed": .int(Int64(w.processed)), "failed": .int(Int64(w.failed)), "last_seen": .double(now - w.lastSeen),
                ]
            }),
            "states": .object(states.mapValues { .int(Int64($0)) }),
            "events": .int(Int64(d.cluster.eventCount)),
        ]
    }
}

/// Writes a JSON object whose keys keep the order given (Flower's `/api/tasks` is ordered).
enum OrderedJSON {
    static func object(_ pairs: [(String, JSONValue)]) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "{")]
        for (i, (k, v)) in pairs.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            JSONWriter.writeString(k, into: &out)
            out.append(UInt8(ascii: ":"))
            JSONWriter.write(v, into: &out)
        }
        out.append(UInt8(ascii: "}"))
        return out
    }
}
