import Celery

/// What `GET /jobs/<id>` answers: the task's state from the result backend, its progress
/// (`current`, `total`, `percent` while PROGRESS), runtime in seconds, and the result or error.
enum JobStatus {
    static func json(id: String, meta: TaskMeta?) -> JSONValue {
        let state = meta?.status ?? .pending
        var o: [String: JSONValue] = ["id": .string(id), "state": .string(state.rawValue), "progress": nil, "runtime": nil, "result": nil, "error": nil]
        guard let meta else { return .object(o) }
        if let p = meta.progress, case .object(let po) = p {
            var prog = po
            if let c = po["current"]?.doubleValue, let t = po["total"]?.doubleValue, t > 0 {
                prog["percent"] = .double((c / t * 1000).rounded() / 10)
            }
            o["progress"] = .object(prog)
        } else if state == .success {
            o["progress"] = ["percent": 100.0]
        }
        if let r = meta.runtime { o["runtime"] = .double(r) }
        if state == .success { o["result"] = meta.result }
        if let e = meta.error { o["error"] = ["type": .string(e.type), "message": .string(e.message)] }
        if let d = meta.dateDone { o["date_done"] = .string(CeleryDate.format(d)) }
        return .object(o)
    }

    /// Whether `id` looks like a task id this app makes (a UUID: hex digits and dashes).
    static func isValidId(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 64 && id.unicodeScalars.allSatisfy { $0 == "-" || $0.properties.isASCIIHexDigit }
    }
}
