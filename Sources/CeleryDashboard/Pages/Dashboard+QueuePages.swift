import Celery
import Foundation

extension Dashboard {
    /// `/queues`: every queue with depth, priorities, unacked, consumers, latency, dead letters.
    func queuesPage(message: String?) async throws -> String {
        let csrf = auth.csrfToken, ro = configuration.readOnly
        let queues = try await queueInfos()
        let rows = queues.map { q in
            Self.queueRow(q).dropLast() + [
                HTML.actionForm("/action/purge", csrf: csrf, hidden: [("queue", q.name), ("next", "/queues")], button: "Purge",
                    confirm: "Delete all \(q.messages) waiting message(s) of \(q.name)?", disabled: ro)
            ]
        }
        let body = HTML.table(Self.queueHeaders, rows.map(Array.init), id: "queues", empty: "no queue found") + "<p class=\"hint\">\(HTML.esc(inspector.note))</p>"
        return HTML.page("Queues", active: "Queues", csrf: csrf, readOnly: ro, message: message, body: body)
    }

    /// `/queue/<name>`: waiting messages (without taking them) and dead letters.
    func queuePage(_ name: String, _ req: HTTPInput, message: String?) async throws -> String {
        let csrf = auth.csrfToken, ro = configuration.readOnly
        let offset = max(0, Int(req.field("offset") ?? "0") ?? 0)
        let path = "/queue/\(IDPath.encode(name))"
        var body = ""
        if let msgs = try await inspector.browse(name, offset: offset, limit: 50) {
            body += "<h2>Waiting (next to run first)</h2>"
            body += HTML.table(["#", "task", "id", "args", "kwargs", "eta", "priority", "retries"], msgs.map { m in
                [String(m.position), HTML.esc(m.task), m.id.map(HTML.taskLink) ?? "–", "<code>\(HTML.esc(m.args))</code>", "<code>\(HTML.esc(m.kwargs))</code>",
                 HTML.esc(m.eta), m.priority.map(String.init) ?? "–", m.retries.map(String.init) ?? "–"]
            }, id: "waiting", empty: "no waiting message")
            body += "<p class=\"pager\">"
            if offset > 0 { body += "<a href=\"\(path)?offset=\(max(0, offset - 50))\">← earlier</a> " }
            if msgs.count == 50 { body += "<a href=\"\(path)?offset=\(offset + 50)\">later →</a>" }
            body += "</p>"
        } else {
            body += "<p class=\"hint\">\(HTML.esc(inspector.note))</p>"
        }
        body += HTML.actionForm("/action/purge", csrf: csrf, hidden: [("queue", name), ("next", path)], button: "Purge \(name)", confirm: "Delete every waiting message of \(name)?", disabled: ro)
        body += "<h2>Dead letters</h2>"
        if let dl = try await inspector.deadLetters(name, limit: 200) {
            body += HTML.table(["#", "task", "id", "reason", "when", ""], dl.map { d in
                [String(d.index), HTML.esc(d.task), d.id.map(HTML.taskLink) ?? "–", HTML.esc(d.reason), HTML.esc(d.at),
                 HTML.actionForm("/action/dead-letters", csrf: csrf, hidden: [("queue", name), ("index", String(d.index)), ("op", "requeue"), ("next", path)], button: "Requeue", confirm: "Put this message back on \(name)?", disabled: ro)
                    + HTML.actionForm("/action/dead-letters", csrf: csrf, hidden: [("queue", name), ("index", String(d.index)), ("op", "delete"), ("next", path)], button: "Delete", confirm: "Delete this dead letter for good?", disabled: ro)]
            }, id: "dead-letters", empty: "no dead letter")
            if !dl.isEmpty {
                body += HTML.actionForm("/action/dead-letters", csrf: csrf, hidden: [("queue", name), ("op", "requeue"), ("next", path)], button: "Requeue all", confirm: "Put every dead letter back on \(name)?", disabled: ro)
                body += HTML.actionForm("/action/dead-letters", csrf: csrf, hidden: [("queue", name), ("op", "delete"), ("next", path)], button: "Delete all", confirm: "Delete every dead letter of \(name)?", disabled: ro)
            }
        } else {
            let n = (try? await queueInfos().first { $0.name == name }?.deadLetters) ?? nil
            body += "<p>\(n.map { "\($0) dead letter(s)." } ?? "unknown") The broker does not let the dashboard list them.</p>"
            body += HTML.actionForm("/action/dead-letters", csrf: csrf, hidden: [("queue", name), ("op", "delete"), ("next", path)], button: "Delete all", confirm: "Delete every dead letter of \(name)?", disabled: ro)
        }
        return HTML.page("Queue \(name)", active: "Queues", csrf: csrf, readOnly: ro, message: message, body: body)
    }
}
