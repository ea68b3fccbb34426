import Celery
import Foundation

extension Dashboard {
    /// `/tasks`: filters and a page of tasks from the backend merged with live events.
    func tasksPage(_ req: HTTPInput, message: String?) async throws -> String {
        let f = try taskFilter(req, flower: false)
        let found = try await findTasks(f)
        let states = ["", "PENDING", "RECEIVED", "STARTED", "SUCCESS", "FAILURE", "RETRY", "REVOKED", "PROGRESS"]
        let stateOptions = states.map { "<option value=\"\($0)\"\(f.state == $0 || (f.state == nil && $0.isEmpty) ? " selected" : "")>\($0.isEmpty ? "any" : $0)</option>" }.joined()
        var body = """
            <form method="get" action="/tasks" class="filters" id="task-filters">
            <label>state <select name="state">\(stateOptions)</select></label>
            <label>task <input name="taskname" value="\(HTML.esc(f.name))" size="14"></label>
            <label>worker <input name="workername" value="\(HTML.esc(f.worker))" size="14"></label>
            <label>text <input name="search" value="\(HTML.esc(f.text))" size="14" placeholder="id, args, result"></label>
            <label>within (s) <input name="since" value="\(HTML.esc(req.field("since")))" size="6"></label>
            <label>per page <input name="limit" value="\(f.limit)" size="4"></label>
            <button type="submit">Filter</button></form>
            <p class="hint">\(HTML.esc(history.sourceDescription)).</p>
            """
        body += HTML.table(["task", "name", "state", "args", "kwargs", "result", "runtime", "worker", "changed"], found.map { t in
            [
                HTML.taskLink(t.id), HTML.esc(t.name), HTML.state(t.state), "<code>\(HTML.esc(t.args.map { String($0.prefix(60)) }))</code>",
                "<code>\(HTML.esc(t.kwargs.map { String($0.prefix(40)) }))</code>",
                "<code>\(HTML.esc((t.result ?? t.exception).map { String($0.prefix(60)) }))</code>", HTML.duration(t.runtime), HTML.esc(t.worker),
                HTML.time(t.timestamp),
            ]
        }, id: "tasks", empty: "no task matches")
        func link(_ offset: Int) -> String {
            var q = req.query
            q["offset"] = String(offset)
            return "/tasks?" + q.sorted { $0.key < $1.key }.map { "\(HTTPInput.encode($0.key))=\(HTTPInput.encode($0.value))" }.joined(separator: "&")
        }
        body += "<p class=\"pager\">"
        if f.offset > 0 { body += "<a href=\"\(HTML.esc(link(max(0, f.offset - f.limit))))\">← newer</a> " }
        body += "tasks \(f.offset + 1)–\(f.offset + found.count)"
        if found.count == f.limit { body += " <a href=\"\(HTML.esc(link(f.offset + f.limit)))\" id=\"older\">older →</a>" }
        body += "</p>"
        return HTML.page("Tasks", active: "Tasks", csrf: auth.csrfToken, readOnly: configuration.readOnly, message: message, body: body)
    }

    /// `/task/<id>`: everything known about one task, and its actions.
    func taskPage(_ id: String, message: String?) async throws -> String? {
        guard let t = try await taskRecord(id) else { return nil }
        let csrf = auth.csrfToken, ro = configuration.readOnly
        func row(_ k: String, _ v: String) -> String { "<tr><th>\(HTML.esc(k))</th><td>\(v)</td></tr>" }
        func code(_ s: String?) -> String { s.map { "<pre>\(HTML.esc($0))</pre>" } ?? "–" }
        var rows = row("id", "<code id=\"task-id\">\(HTML.esc(t.id))</code>") + row("name", HTML.esc(t.name)) + row("state", "<span id=\"task-state\">\(HTML.state(t.state))</span>")
        rows += row("args", code(t.args)) + row("kwargs", code(t.kwargs))
        rows += row("result", code(t.result)) + row("exception", code(t.exception)) + row("traceback", code(t.traceback))
        rows += row("retries", t.retries.map(String.init) ?? "–") + row("runtime", HTML.duration(t.runtime)) + row("worker", HTML.esc(t.worker))
        rows += row("queue", HTML.esc(t.queue)) + row("eta", HTML.esc(t.eta)) + row("expires", HTML.esc(t.expires))
        rows += row("received", HTML.time(t.received)) + row("started", HTML.time(t.started))
        rows += row("finished", HTML.time(t.succeeded ?? t.failed ?? t.revoked))
        rows += row("parent", t.parentId.map(HTML.taskLink) ?? "–") + row("root", t.rootId.map(HTML.taskLink) ?? "–")
        rows += row("children", t.children.isEmpty ? "–" : t.children.map(HTML.taskLink).joined(separator: "<br>"))
        var body = "<table class=\"detail\" data-task=\"\(HTML.esc(t.id))\">\(rows)</table><section class=\"actions\"><h2>Actions</h2>"
        let path = "/task/\(IDPath.encode(t.id))"
        body += HTML.actionForm("/action/revoke", csrf: csrf, hidden: [("id", t.id), ("next", path)], button: "Revoke", confirm: "Revoke \(t.id)?", disabled: ro)
        body += HTML.actionForm("/action/revoke", csrf: csrf, hidden: [("id", t.id), ("terminate", "1"), ("next", path)], button: "Terminate", confirm: "Terminate \(t.id) if it is running?", disabled: ro)
        if t.argsJSON != nil {
            body += HTML.actionForm("/action/retry", csrf: csrf, hidden: [("id", t.id), ("next", path)], button: "Retry with the same arguments", confirm: "Send \(t.name ?? "this task") again with its arguments?", disabled: ro)
        } else {
            body += "<p class=\"hint\">Retry needs the stored arguments (extended results).</p>"
        }
        body += "</section>"
        return HTML.page("Task \(t.name ?? "")", active: "Tasks", csrf: csrf, readOnly: ro, message: message, live: true, body: body)
    }
}
