import Celery
import Foundation

extension Dashboard {
    /// `/`: workers, queues, the throughput chart, runtimes, the enqueue form and live tasks.
    func overviewPage(message: String?) async throws -> String {
        let now = Date().timeIntervalSince1970
        let replies = await directory.replies(expected: onlineWorkers.count)
        let workers = cluster.workers
        let csrf = auth.csrfToken, ro = configuration.readOnly
        var hosts = Set(workers.map(\.hostname))
        hosts.formUnion(replies.keys)
        let workerRows: [[String]] = hosts.sorted().map { h in
            let w = workers.first { $0.hostname == h }
            let online = w.map { cluster.isOnline($0, now: now) } ?? true
            let pool = replies[h]?["stats"]?["pool"]?["max-concurrency"]?.intValue.map(String.init) ?? "–"
            let load = w.map { $0.loadavg.isEmpty ? "–" : $0.loadavg.map { String(format: "%.2f", $0) }.joined(separator: " ") } ?? "–"
            return [
                "<a href=\"/workers#\(HTML.esc(h))\">\(HTML.esc(h))</a>",
                "<span class=\"\(online ? "online" : "offline")\" data-field=\"status\">\(online ? "online" : "offline")</span>",
                pool, "<span data-field=\"active\">\(w?.active ?? 0)</span>", "<span data-field=\"processed\">\(w?.processed ?? 0)</span>",
                "<span data-field=\"failed\">\(w?.failed ?? 0)</span>", load,
                "<span data-field=\"last_seen\">\(w.map { HTML.duration(now - $0.lastSeen) + " ago" } ?? "–")</span>",
            ]
        }
        let queues = (try? await queueInfos()) ?? []
        let queueRows = queues.map(Self.queueRow)
        let rt = runtimesTable()
        let recent = cluster.recentTasks.prefix(20).map(Self.liveTaskRow)
        var body = "<section><h2>Workers</h2>"
        body += HTML.table(["worker", "status", "pool", "active", "processed", "failed", "load", "last heartbeat"], workerRows, id: "workers", empty: "no worker seen yet (events come from workers started with events on)")
        body += "<p class=\"hint\">A worker is offline after \(Int(cluster.workerGrace))s (at least three heartbeat intervals) without an event.</p></section>"
        body += "<section><h2>Queues</h2>" + HTML.table(Self.queueHeaders, queueRows, id: "queues", empty: "no queue found")
        body += "<p class=\"hint\">\(HTML.esc(inspector.note))</p></section>"
        body += "<section><h2>Succeeded and failed per second, last hour</h2><div id=\"chart\">\(SVGChart.throughput(cluster.series(now: now)))</div></section>"
        body += "<section><h2>Runtime per task</h2>\(rt)</section>"
        body += "<section><h2>Send a task</h2>\(enqueueForm(csrf: csrf, readOnly: ro))</section>"
        body += "<section><h2>Latest tasks (live)</h2>"
        body += HTML.table(["task", "name", "state", "args", "result", "runtime", "worker"], Array(recent), id: "live-tasks", empty: "no task event yet")
        body += "</section><section><h2>Latest actions</h2>"
        body += HTML.table(["time", "action", "detail", "outcome", "by"], actions.recent.prefix(10).map {
            [HTML.time($0.at.timeIntervalSince1970), HTML.esc($0.action), HTML.esc($0.detail), HTML.esc($0.outcome), HTML.esc($0.by)]
        }, empty: "none yet")
        body += "</section>"
        return HTML.page("Overview", active: "Overview", csrf: csrf, readOnly: ro, message: message, live: true, body: body)
    }

    static let queueHeaders = ["queue", "waiting", "by priority", "unacked", "consumed by", "latency (oldest)", "dead letters", "in / out per s", ""]

    /// The workers consuming a queue (and the broker's consumer count when it tells).
    static func consumers(_ q: QueueInfo) -> String {
        let n = q.consumers.map { " (\($0) consumer\($0 == 1 ? "" : "s"))" } ?? ""
        if q.consumedBy.isEmpty { return q.consumers.map { $0 > 0 } == true ? "other\(n)" : "<span class=\"warn\">no worker</span>\(n)" }
        return HTML.esc(q.consumedBy.joined(separator: ", ")) + n
    }

    static func rate(_ r: Double?) -> String { r.map { String(format: "%.1f", $0) } ?? "–" }

    static func queueRow(_ q: QueueInfo) -> [String] {
        [
            "<a href=\"/queue/\(IDPath.encode(q.name))\">\(HTML.esc(q.name))</a>", "<span class=\"num\">\(q.messages)</span>",
            q.byPriority.isEmpty ? "–" : q.byPriority.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", "),
            q.unacked.map(String.init) ?? "–",
            consumers(q),
            HTML.duration(q.oldestAge), q.deadLetters.map(String.init) ?? "–",
            q.publishRate == nil && q.deliverRate == nil ? "–" : "\(rate(q.publishRate)) / \(rate(q.deliverRate))",
            "<a href=\"/queue/\(IDPath.encode(q.name))\">browse</a>",
        ]
    }

    static func liveTaskRow(_ t: TaskRecord) -> [String] {
        [
            HTML.taskLink(t.id), HTML.esc(t.name), HTML.state(t.state), "<code>\(HTML.esc(t.args.map { String($0.prefix(80)) }))</code>",
            "<code>\(HTML.esc((t.result ?? t.exception).map { String($0.prefix(80)) }))</code>", HTML.duration(t.runtime), HTML.esc(t.worker),
        ]
    }

    func runtimesTable() -> String {
        let rows = runtimesByName().map { name, r in
            [HTML.esc(name), String(r.count), HTML.duration(r.quantile(0.5)), HTML.duration(r.quantile(0.99)), HTML.duration(r.count > 0 ? r.sum / Double(r.count) : nil)]
        }
        return HTML.table(["task", "finished", "p50", "p99", "mean"], rows, id: "runtimes", empty: "no finished task seen yet")
    }

    func runtimesByName() -> [(String, RuntimeStats)] { cluster.runtimes.sorted { $0.key < $1.key } }

    func enqueueForm(csrf: String, readOnly: Bool) -> String {
        let inputs = """
            <label>task <input name="name" id="enqueue-name" required value="tasks.add" size="18"></label>
            <label>args (JSON list) <input name="args" id="enqueue-args" value="[2, 3]" size="14"></label>
            <label>kwargs (JSON object) <input name="kwargs" id="enqueue-kwargs" value="{}" size="10"></label>
            <label>countdown (s) <input name="countdown" id="enqueue-countdown" size="4" inputmode="decimal"></label>
            <label>route <select name="mode" id="enqueue-mode"><option value="queue">queue</option><option value="broadcast">broadcast</option></select></label>
            <label>name <input name="queue" id="enqueue-queue" placeholder="default" size="10"></label>
            """
        return HTML.actionForm(
            "/action/enqueue", csrf: csrf, inputs: inputs, button: "Send", confirm: "Send this task?", disabled: readOnly,
            cssClass: "enqueue", id: "enqueue-form") + "<p id=\"enqueue-result\" class=\"hint\"></p>"
    }
}
