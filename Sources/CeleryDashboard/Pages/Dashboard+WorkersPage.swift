import Celery
import Foundation

extension Dashboard {
    /// `/workers`: per worker, the routes it consumes in each mode, its pool and tasks, and
    /// the control actions; the fanout/offline demo button.
    func workersPage(message: String?, demo: String? = nil) async throws -> String {
        let csrf = auth.csrfToken, ro = configuration.readOnly
        let replies = await directory.replies(refresh: true, expected: onlineWorkers.count)
        let now = Date().timeIntervalSince1970
        var hosts = Set(cluster.workers.map(\.hostname))
        hosts.formUnion(replies.keys)
        var body = ""
        for h in hosts.sorted() {
            let r = replies[h] ?? [:]
            let w = cluster.workers.first { $0.hostname == h }
            let online = w.map { cluster.isOnline($0, now: now) } ?? !r.isEmpty
            let routes = (r["active_queues"]?.arrayValue ?? []).compactMap { q -> (String, String)? in
                guard let n = q["name"]?.stringValue else { return nil }
                return (n, q["exchange"]?["type"]?.stringValue == "fanout" ? "broadcast" : "queue")
            }
            let pool = r["stats"]?["pool"]?["max-concurrency"]?.intValue.map(String.init) ?? "–"
            body += "<section class=\"worker\" id=\"\(HTML.esc(h))\"><h2>\(HTML.esc(h)) <span class=\"\(online ? "online" : "offline")\">\(online ? "online" : "offline")</span></h2>"
            body += "<p>pool: <strong class=\"pool-size\">\(pool)</strong> · active \(w?.active ?? 0) · processed \(w?.processed ?? 0) · failed \(w?.failed ?? 0)</p>"
            body += HTML.table(["route", "mode", "what it means"], routes.map { n, mode in
                [HTML.esc(n), mode, mode == "queue" ? "competing consumers: one worker gets each message; waits when nobody listens" : "pub/sub: every subscribed worker gets a copy; dropped when nobody listens"]
            }, empty: r.isEmpty ? "did not answer inspect" : "no route")
            let registered = (r["registered"]?.arrayValue ?? []).compactMap(\.stringValue)
            if !registered.isEmpty { body += "<p class=\"hint\">tasks: \(HTML.esc(registered.joined(separator: ", ")))</p>" }
            let hidden = [("worker", h), ("next", "/workers")]
            body += "<div class=\"actions\">"
            body += HTML.actionForm("/action/pool", csrf: csrf, hidden: hidden + [("op", "grow")], inputs: "<input name=\"n\" value=\"1\" size=\"2\">", button: "Grow pool", confirm: "Add execution slots to \(h)?", disabled: ro)
            body += HTML.actionForm("/action/pool", csrf: csrf, hidden: hidden + [("op", "shrink")], inputs: "<input name=\"n\" value=\"1\" size=\"2\">", button: "Shrink pool", confirm: "Remove execution slots from \(h)?", disabled: ro)
            body += HTML.actionForm("/action/rate-limit", csrf: csrf, hidden: hidden, inputs: "<input name=\"task\" placeholder=\"tasks.add\" size=\"12\"><input name=\"rate\" placeholder=\"10/s\" size=\"6\">", button: "Set rate limit", confirm: "Change the rate limit on \(h)?", disabled: ro)
            body += HTML.actionForm("/action/consumer", csrf: csrf, hidden: hidden + [("op", "add")], inputs: "<input name=\"queue\" placeholder=\"queue\" size=\"10\">", button: "Consume queue", confirm: "Make \(h) consume this queue?", disabled: ro)
            body += HTML.actionForm("/action/consumer", csrf: csrf, hidden: hidden + [("op", "cancel")], inputs: "<input name=\"queue\" placeholder=\"queue\" size=\"10\">", button: "Stop consuming", confirm: "Make \(h) stop consuming this queue?", disabled: ro)
            body += HTML.actionForm("/action/shutdown", csrf: csrf, hidden: hidden, button: "Shut down", confirm: "Shut \(h) down (warm shutdown)?", disabled: ro)
            body += "</div></section>"
        }
        if hosts.isEmpty { body += "<p>No worker seen yet.</p>" }
        body += "<section><h2>Broadcast vs queue, on this broker</h2><p>Runs the <code>celery-demo</code> fanout and offline scenarios against the live broker (3 consumers, 50 messages each, on their own routes).</p>"
        body += HTML.actionForm("/action/demo", csrf: csrf, hidden: [("next", "/workers")], button: "Run fanout and offline", confirm: "Run the demo scenarios against the broker now?", disabled: ro, id: "demo-form")
        if let demo { body += "<pre id=\"demo-result\">\(HTML.esc(demo))</pre>" }
        body += "</section>"
        return HTML.page("Workers", active: "Workers", csrf: csrf, readOnly: ro, message: message, body: body)
    }
}
