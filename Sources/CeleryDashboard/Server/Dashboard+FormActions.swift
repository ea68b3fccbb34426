import Celery
import Foundation

extension Dashboard {
    /// `POST /action/<name>` from the pages' forms. Each is confirmed (the script asks; without
    /// the script the server shows a confirmation page first), CSRF-checked by the router,
    /// refused in read-only mode, and logged. A script (`Accept: application/json`) gets
    /// JSON; a plain form post is redirected back with a message.
    func formAction(_ name: String, _ req: HTTPInput, by: String) async throws -> HTTPOutput {
        try requireWritable()
        let next = req.field("next").flatMap { $0.hasPrefix("/") && !$0.hasPrefix("//") ? $0 : nil } ?? "/"
        guard req.form["confirmed"] == "1" else { return .html(confirmationPage(name, req)) }
        let (message, json): (String, JSONValue)
        switch name {
        case "enqueue":
            var r = EnqueueRequest(name: try req.required("name"))
            r.args = try Self.jsonField(req, "args", default: .array([])).arrayValue ?? { throw DashboardError.badRequest("args must be a JSON list, like [2, 3]") }()
            r.kwargs = try Self.jsonField(req, "kwargs", default: .object([:])).objectValue ?? { throw DashboardError.badRequest("kwargs must be a JSON object, like {\"x\": 1}") }()
            if let c = req.field("countdown"), !c.trimmingCharacters(in: .whitespaces).isEmpty {
                try r.apply(options: ["countdown": .string(c.trimmingCharacters(in: .whitespaces))])
            }
            let routeName = req.field("queue")?.trimmingCharacters(in: .whitespaces) ?? ""
            if req.field("mode") == "broadcast" {
                guard !routeName.isEmpty else { throw DashboardError.badRequest("a broadcast needs an exchange name") }
                r.broadcast = routeName
            } else if !routeName.isEmpty {
                r.queue = routeName
            }
            let sent = try await enqueue(r, by: by)
            message = "sent \(r.name) as \(sent.id)" + (sent.receivers.map { " (\($0) subscriber(s) received it)" } ?? "")
            json = ["task-id": .string(sent.id), "message": .string(message), "receivers": sent.receivers.map { .int(Int64($0)) } ?? .null]
        case "revoke":
            let id = try req.required("id")
            let terminate = req.field("terminate") == "1"
            try await revoke(id, terminate: terminate, by: by)
            message = "\(terminate ? "terminate" : "revoke") of \(id) sent to every worker"
            json = ["message": .string(message)]
        case "retry":
            let newId = try await retry(try req.required("id"), by: by)
            message = "sent again as \(newId)"
            json = ["task-id": .string(newId), "message": .string(message)]
        case "rate-limit":
            let replies = try await control(.rateLimit, arguments: ["task_name": .string(try req.required("task")), "rate_limit": .string(try req.required("rate"))], worker: req.field("worker"), by: by)
            (message, json) = Self.summarize(replies)
        case "pool":
            guard let n = Int(req.field("n") ?? "1"), n > 0, n <= 1000 else { throw DashboardError.badRequest("n must be a whole number from 1 to 1000") }
            let op: RemoteControlMethod = req.field("op") == "shrink" ? .poolShrink : .poolGrow
            (message, json) = Self.summarize(try await control(op, arguments: ["n": .int(Int64(n))], worker: try req.required("worker"), by: by))
        case "consumer":
            let op: RemoteControlMethod = req.field("op") == "cancel" ? .cancelConsumer : .addConsumer
            (message, json) = Self.summarize(try await control(op, arguments: ["queue": .string(try req.required("queue"))], worker: try req.required("worker"), by: by))
        case "shutdown":
            (message, json) = Self.summarize(try await control(.shutdown, arguments: [:], worker: try req.required("worker"), by: by))
        case "purge":
            let q = try req.required("queue")
            let n = try await purge(q, by: by)
            message = "purged \(n) message(s) from \(q)"
            json = ["purged": .int(Int64(n)), "message": .string(message)]
        case "dead-letters":
            let q = try req.required("queue")
            let index = try req.field("index").map { v -> Int in
                guard let i = Int(v), i >= 0 else { throw DashboardError.badRequest("index must be a whole number ≥ 0") }
                return i
            }
            let requeue = req.field("op") == "requeue"
            let n = try await settleDeadLetters(q, index: index, requeue: requeue, by: by)
            message = "\(requeue ? "requeued" : "deleted") \(n) dead letter(s) of \(q)"
            json = ["count": .int(Int64(n)), "message": .string(message)]
        case "demo":
            let table = try await runDemo(by: by)
            if req.headers["accept"]?.contains("application/json") ?? false { return .json(["table": .string(table)]) }
            return .html(try await workersPage(message: "demo finished", demo: table))
        default:
            throw DashboardError.notFound("no action '\(name)'")
        }
        if req.headers["accept"]?.contains("application/json") ?? false { return .json(json) }
        return .redirect(next + (next.contains("?") ? "&" : "?") + "msg=" + HTTPInput.encode(message))
    }

    static func jsonField(_ req: HTTPInput, _ name: String, default d: JSONValue) throws -> JSONValue {
        guard let text = req.field(name)?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else { return d }
        do { return try JSONCoding.parse(Array(text.utf8)) } catch {
            throw DashboardError.badRequest("\(name) is not valid JSON: \(text.prefix(100))")
        }
    }

    static func summarize(_ replies: [String: JSONValue]) -> (String, JSONValue) {
        if replies.isEmpty { return ("no worker replied", ["message": "no worker replied", "replies": [:]]) }
        let text = replies.keys.sorted().map { h in "\(h): \(replies[h]!["ok"]?.stringValue ?? replies[h]!["error"]?.stringValue ?? replies[h]!.description)" }.joined(separator: "; ")
        return (text, ["message": .string(text), "replies": .object(replies)])
    }

    /// The page shown when a form arrives without the script's confirmation.
    func confirmationPage(_ name: String, _ req: HTTPInput) -> String {
        let fields = req.form.filter { $0.key != "csrf_token" && $0.key != "confirmed" }.sorted { $0.key < $1.key }
        let list = fields.filter { $0.key != "next" }.map { "<li><strong>\(HTML.esc($0.key))</strong>: <code>\(HTML.esc($0.value))</code></li>" }.joined()
        let form = HTML.actionForm("/action/\(name)", csrf: auth.csrfToken, hidden: fields.map { ($0.key, $0.value) } + [("confirmed", "1")],
            button: "Confirm \(name)", confirm: "", disabled: configuration.readOnly, cssClass: "confirm")
        return HTML.page("Confirm \(name)", active: "", csrf: auth.csrfToken, readOnly: configuration.readOnly, body: "<ul>\(list)</ul>\(form)<p><a href=\"\(HTML.esc(req.field("next") ?? "/"))\">cancel</a></p>")
    }
}
