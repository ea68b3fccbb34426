extension EventDispatcher {
    /// Every event in an event message, in the order sent: the object of a single event, or
    /// each element of a list body (Celery 4+ workers send their task events batched as one
    /// `task.multi` message with a JSON list of events, as this dispatcher does by default).
    /// Anything that is not a JSON object with a string `type` (a malformed message, a
    /// list element of another kind) is skipped; an unreadable message gives `[]`.
    public static func events(in m: BrokerMessage) -> [[String: JSONValue]] {
        guard let body = try? JSONCoding.parse(m.body) else { return [] }
        switch body {
        case .object(let o): return o["type"]?.stringValue != nil ? [o] : []
        case .array(let items):
            var out: [[String: JSONValue]] = []
            out.reserveCapacity(items.count)
            for case .object(let o) in items where o["type"]?.stringValue != nil { out.append(o) }
            return out
        default: return []
        }
    }

    /// The single event of a message; `nil` for anything but a JSON object with a `type`,
    /// including a batch (a list body). Read events with ``events(in:)``, which unpacks batches.
    @available(*, deprecated, message: "a message may hold a batch of events (task.multi): use events(in:)")
    public static func parse(_ m: BrokerMessage) -> [String: JSONValue]? {
        guard case .object(let o)? = try? JSONCoding.parse(m.body), o["type"]?.stringValue != nil else { return nil }
        return o
    }
}
