import Celery
import Foundation

/// Flower-compatible endpoints (same paths and JSON shapes), plus our queue endpoints.
extension Dashboard {
    func api(_ req: HTTPInput, by: String) async throws -> HTTPOutput {
        let seg = req.segments
        let rest = Array(seg.dropFirst())
        func m(_ method: String, _ pattern: String) -> [String]? {
            guard req.method == method else { return nil }
            let parts = pattern.split(separator: "/").map(String.init)
            guard parts.count == rest.count else { return nil }
            var caps: [String] = []
            for (p, r) in zip(parts, rest) {
                if p == "*" { caps.append(r) } else if p != r { return nil }
            }
            return caps
        }
        if m("GET", "workers") != nil {
            return try await apiWorkers(req)
        }
        if m("GET", "tasks") != nil {
            let filter = try taskFilter(req, flower: true)
            let found = try await findTasks(filter)
            return HTTPOutput(status: 200, contentType: "application/json", body: OrderedJSON.object(found.map { ($0.id, $0.flowerJSON) }))
        }
        if m("GET", "task/types") != nil {
            var names = Set(cluster.countsByName.keys)
            for (_, r) in await directory.replies(expected: onlineWorkers.count) { for n in r["registered"]?.arrayValue ?? [] { if let s = n.stringValue { names.insert(s) } } }
            return .json(["task-types": .array(names.sorted().map(JSONValue.string))])
        }
        if let c = m("GET", "task/info/*") {
            let id = c[0]
            guard let t = try await taskRecord(id) else { throw DashboardError.notFound("Unknown task '\(id)'") }
            return .json(t.flowerJSON)
        }
        if let c = m("GET", "task/result/*") {
            let id = c[0]
            try validateId(id)
            guard app.backend != nil else { throw DashboardError.unavailable("no result backend configured") }
            var o: [String: JSONValue] = ["task-id": .string(id), "state": "PENDING"]
            if let m = try await app.backend?.meta(for: id) {
                o["state"] = .string(m.status.rawValue)
                if m.status.isReady { o["result"] = m.result }
                if m.status == .failure { o["traceback"] = m.traceback.map(JSONValue.string) ?? .null }
            }
            return .json(.object(o))
        }
        if let c = m("POST", "task/async-apply/*") ?? m("POST", "task/send-task/*") ?? m("POST", "task/apply/*") {
            let name = c[0]
            var r = EnqueueRequest(name: name)
            if let body = try req.jsonBody() {
                guard case .object(var o) = body else { throw DashboardError.badRequest("invalid options: the body must be a JSON object") }
                if let a = o.removeValue(forKey: "args") {
                    guard case .array(let args) = a else { throw DashboardError.badRequest("args must be an array") }
                    r.args = args
                }
                if let k = o.removeValue(forKey: "kwargs") {
                    guard case .object(let kw) = k else { throw DashboardError.badRequest("kwargs must be an object") }
                    r.kwargs = kw
                }
                try r.apply(options: o["options"]?.objectValue ?? o)
            }
            let sent = try await enqueue(r, by: by)
            var out: [String: JSONValue] = ["task-id": .string(sent.id)]
            if app.backend != nil { out["state"] = "PENDING" }
            return .json(.object(out))
        }
        if let c = m("POST", "task/revoke/*") {
            let id = c[0]
            let terminate = ["true", "1", "yes"].contains(req.field("terminate")?.lowercased() ?? "")
            try await revoke(id, terminate: terminate, by: by)
            return .json(["message": .string("Revoked '\(id)'")])
        }
        if let c = m("POST", "task/retry/*") {
            let id = c[0]
            let newId = try await retry(id, by: by)
            return .json(["task-id": .string(newId), "retry-of": .string(id)])
        }
        if let c = m("POST", "task/rate-limit/*") {
            let name = c[0]
            let rate = try req.required("ratelimit")
            let replies = try await control(.rateLimit, arguments: ["task_name": .string(name), "rate_limit": .string(rate)], worker: req.field("workername"), by: by)
            return controlOutput(replies, worker: req.field("workername"), ok: "new rate limit set successfully")
        }
        if let c = m("POST", "worker/shutdown/*") {
            let w = c[0]
            _ = try await control(.shutdown, arguments: [:], worker: w, by: by)
            return .json(["message": "Shutting down!"])
        }
        if let c = m("POST", "worker/pool/*/*") {
            let op = c[0]
            let w = c[1]
            if op == "grow" || op == "shrink" {
            let n = Int(req.field("n") ?? "1") ?? 0
            guard n > 0, n <= 1000 else { throw DashboardError.badRequest("n must be a whole number from 1 to 1000") }
            let replies = try await control(op == "grow" ? .poolGrow : .poolShrink, arguments: ["n": .int(Int64(n))], worker: w, by: by)
            return controlOutput(replies, worker: w, ok: "\(op == "grow" ? "Growing" : "Shrinking") '\(w)' worker's pool by \(n)")
            }
        }
        if let c = m("POST", "worker/queue/*/*") {
            let op = c[0]
            let w = c[1]
            if op == "add-consumer" || op == "cancel-consumer" {
            let q = try req.required("queue")
            let replies = try await control(op == "add-consumer" ? .addConsumer : .cancelConsumer, arguments: ["queue": .string(q)], worker: w, by: by)
            return controlOutput(replies, worker: w, ok: nil)
            }
        }
        if m("GET", "queues/length") != nil {
            let infos = try await queueInfos()
            return .json(["active_queues": .array(infos.map { ["name": .string($0.name), "messages": .int(Int64($0.messages))] })])
        }
        if m("GET", "queues") != nil {
            return .json(.object(["queues": .array(try await queueInfos().map(Self.queueJSON)), "note": .string(inspector.note)]))
        }
        if let c = m("GET", "queue/*/messages") {
            let q = c[0]
            let offset = Int(req.field("offset") ?? "0") ?? 0, limit = min(Int(req.field("limit") ?? "50") ?? 50, 500)
            guard let msgs = try await inspector.browse(q, offset: offset, limit: limit) else { throw DashboardError(501, inspector.note) }
            return .json(.array(msgs.map(Self.waitingJSON)))
        }
        if let c = m("GET", "queue/*/dead-letters") {
            let q = c[0]
            guard let dl = try await inspector.deadLetters(q, limit: 500) else { throw DashboardError(501, inspector.note) }
            return .json(.array(dl.map { ["index": .int(Int64($0.index)), "reason": .string($0.reason), "at": $0.at.map(JSONValue.string) ?? .null, "task": $0.task.map(JSONValue.string) ?? .null, "id": $0.id.map(JSONValue.string) ?? .null] }))
        }
        if let c = m("POST", "queue/*/purge") {
            let q = c[0]
            return .json(["purged": .int(Int64(try await purge(q, by: by)))])
        }
        if let c = m("POST", "queue/*/dead-letters/*") {
            let q = c[0]
            let op = c[1]
            if op == "requeue" || op == "delete" {
            let index = try req.field("index").map { v -> Int in
                guard let i = Int(v), i >= 0 else { throw DashboardError.badRequest("index must be a whole number ≥ 0") }
                return i
            }
            return .json([op == "requeue" ? "requeued" : "deleted": .int(Int64(try await settleDeadLetters(q, index: index, requeue: op == "requeue", by: by)))])

            }
        }
        throw DashboardError.notFound("no API endpoint \(req.method) \(req.path)")
    }

    private func controlOutput(_ replies: [String: JSONValue], worker: String?, ok: String?) -> HTTPOutput {
        if replies.isEmpty { return .json(["error": .string("no worker replied\(worker.map { " (\($0))" } ?? "")")], status: 503) }
        if let e = replies.values.compactMap({ $0["error"]?.stringValue }).first { return .json(["error": .string(e)], status: 409) }
        let message = ok ?? replies.values.compactMap { $0["ok"]?.stringValue }.first ?? "ok"
        return .json(["message": .string(message), "replies": .object(replies)])
    }

    private func apiWorkers(_ req: HTTPInput) async throws -> HTTPOutput {
        let refresh = ["1", "true", "yes"].contains(req.field("refresh")?.lowercased() ?? "")
        let only = req.field("workername")
        if ["1", "true"].contains(req.field("status")?.lowercased() ?? "") {
            let now = Date().timeIntervalSince1970
            return .json(.object(Dictionary(uniqueKeysWithValues: cluster.workers.map { ($0.hostname, JSONValue.bool(cluster.isOnline($0, now: now))) })))
        }
        var replies = await directory.replies(refresh: refresh, expected: onlineWorkers.count)
        if let only {
            replies = replies.filter { $0.key == only }
            if replies.isEmpty { throw DashboardError.notFound("Unknown worker '\(only)'") }
            let extra = try await app.controlClient.call(RemoteControlMethod.revoked.rawValue, destination: [only], timeout: configuration.inspectTimeout, limit: 1)
            if let r = extra[only] { replies[only]!["revoked"] = r }
        }
        let now = Date().timeIntervalSince1970
        var out: [String: JSONValue] = [:]
        for (host, r) in replies {
            var o = r.mapValues { $0 }
            o["timestamp"] = .double(now)
            out[host] = .object(o)
        }
        return .json(.object(out))
    }

    /// A task from the ring, filled from the backend; `nil` when neither knows it.
    func taskRecord(_ id: String) async throws -> TaskRecord? {
        try validateId(id)
        var t = cluster.task(id)
        if let stored = try await history.lookup(id) {
            if t == nil { t = stored } else { t!.fill(from: stored) }
        }
        return t
    }

    /// Tasks for a filter (ring merged with backend).
    func findTasks(_ f: TaskFilter) async throws -> [TaskRecord] {
        do { return try await history.find(f, live: cluster.recentTasks) } catch let e as CeleryError {
            throw DashboardError.unavailable("result backend: \(e.message)")
        }
    }

    /// Reads `limit`, `offset`, `state`, `taskname`, `workername`, `search`, `since` (Flower's `All` means no filter).
    func taskFilter(_ req: HTTPInput, flower: Bool) throws -> TaskFilter {
        func opt(_ k: String) -> String? {
            guard let v = req.field(k)?.trimmingCharacters(in: .whitespaces), !v.isEmpty, v != "All" else { return nil }
            return v
        }
        func int(_ k: String, _ d: Int) throws -> Int {
            guard let v = opt(k) else { return d }
            guard let i = Int(v), i >= 0 else { throw DashboardError.badRequest("\(k) must be a whole number ≥ 0") }
            return i
        }
        var since: Date?
        if let s = opt("since") {
            guard let secs = Double(s) else { throw DashboardError.badRequest("since must be seconds back from now") }
            since = Date().addingTimeInterval(-secs)
        }
        return TaskFilter(
            state: opt("state")?.uppercased(), name: opt("taskname") ?? opt("name"), worker: opt("workername") ?? opt("worker"),
            text: opt("search"), since: since, offset: try int("offset", 0), limit: try int("limit", flower ? 100 : 50))
    }

    static func queueJSON(_ q: QueueInfo) -> JSONValue {
        [
            "name": .string(q.name), "messages": .int(Int64(q.messages)),
            "by_priority": .object(q.byPriority.mapValues { .int(Int64($0)) }),
            "unacked": q.unacked.map { .int(Int64($0)) } ?? .null, "consumers": q.consumers.map { .int(Int64($0)) } ?? .null,
            "oldest_age_seconds": q.oldestAge.map(JSONValue.double) ?? .null,
            "dead_letters": q.deadLetters.map { .int(Int64($0)) } ?? .null,
            "consumed_by": .array(q.consumedBy.map(JSONValue.string)),
            "publish_rate": q.publishRate.map(JSONValue.double) ?? .null, "deliver_rate": q.deliverRate.map(JSONValue.double) ?? .null,
        ]
    }

    static func waitingJSON(_ m: WaitingMessage) -> JSONValue {
        func s(_ v: String?) -> JSONValue { v.map(JSONValue.string) ?? .null }
        return [
            "position": .int(Int64(m.position)), "id": s(m.id), "task": s(m.task), "args": s(m.args), "kwargs": s(m.kwargs),
            "eta": s(m.eta), "priority": m.priority.map { .int(Int64($0)) } ?? .null, "retries": m.retries.map { .int(Int64($0)) } ?? .null,
        ]
    }
}
