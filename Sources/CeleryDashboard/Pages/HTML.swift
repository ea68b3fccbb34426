import Foundation

/// Small helpers to write the server-rendered pages: escaping, the shared layout, forms
/// that carry the CSRF token and ask for confirmation.
enum HTML {
    /// Escapes text for element content and attribute values.
    static func esc(_ s: String?) -> String {
        guard let s else { return "" }
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }

    /// A page: title, navigation, flash message, body. `live` makes the page open the
    /// `/events` stream (see dashboard.js).
    static func page(_ title: String, active: String, csrf: String, readOnly: Bool, message: String? = nil, live: Bool = false, body: String) -> String {
        let nav = [("Overview", "/"), ("Tasks", "/tasks"), ("Queues", "/queues"), ("Workers", "/workers")].map { name, href in
            "<a href=\"\(href)\"\(name == active ? " class=\"active\"" : "")>\(name)</a>"
        }.joined()
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="csrf-token" content="\(esc(csrf))">
            <title>\(esc(title)) · celery-dashboard</title>
            <link rel="stylesheet" href="/static/dashboard.css">
            <script src="/static/dashboard.js" defer></script>
            </head><body\(live ? " data-live=\"1\"" : "")>
            <header><strong>celery-dashboard</strong><nav>\(nav)</nav>\(readOnly ? "<span class=\"badge ro\">read-only</span>" : "")<span id="live-status" class="badge">live: off</span></header>
            <main>
            \(message.map { "<p class=\"flash\" id=\"flash\">\(esc($0))</p>" } ?? "<p class=\"flash hidden\" id=\"flash\"></p>")
            <h1>\(esc(title))</h1>
            \(body)
            </main></body></html>
            """
    }

    /// A POST form for an action: CSRF token, hidden fields, visible inputs, a confirmation
    /// question (asked by the script; without it the server asks on a page of its own).
    static func actionForm(
        _ action: String, csrf: String, hidden: [(String, String)] = [], inputs: String = "", button: String,
        confirm: String, disabled: Bool, cssClass: String = "inline", id: String? = nil
    ) -> String {
        let h = ([("csrf_token", csrf)] + hidden).map { "<input type=\"hidden\" name=\"\(esc($0.0))\" value=\"\(esc($0.1))\">" }.joined()
        return """
            <form method="post" action="\(esc(action))" class="\(cssClass)" data-confirm="\(esc(confirm))"\(id.map { " id=\"\(esc($0))\"" } ?? "")>\(h)\(inputs)<button type="submit"\(disabled ? " disabled title=\"read-only\"" : "")>\(esc(button))</button></form>
            """
    }

    /// A table with a header row; cells are already-escaped HTML.
    static func table(_ headers: [String], _ rows: [[String]], id: String? = nil, empty: String = "none") -> String {
        let head = headers.map { "<th>\(esc($0))</th>" }.joined()
        let body = rows.isEmpty
            ? "<tr class=\"empty\"><td colspan=\"\(headers.count)\">\(esc(empty))</td></tr>"
            : rows.map { "<tr>" + $0.map { "<td>\($0)</td>" }.joined() + "</tr>" }.joined(separator: "\n")
        return "<table\(id.map { " id=\"\(esc($0))\"" } ?? "")><thead><tr>\(head)</tr></thead><tbody>\(body)</tbody></table>"
    }

    /// Seconds as `0.012s`, `3.4s`, `2m 5s`.
    static func duration(_ s: Double?) -> String {
        guard let s, s.isFinite else { return "–" }
        if s < 1 { return String(format: "%.3fs", s) }
        if s < 60 { return String(format: "%.1fs", s) }
        if s < 3600 { return "\(Int(s) / 60)m \(Int(s) % 60)s" }
        return "\(Int(s) / 3600)h \(Int(s) % 3600 / 60)m"
    }

    /// A Unix time as `HH:MM:SS` (UTC) with the full date in the title.
    static func time(_ t: Double?) -> String {
        guard let t, t > 0 else { return "–" }
        let d = Date(timeIntervalSince1970: t)
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let full = f.string(from: d)
        let hms = full.split(separator: "T").last.map { String($0.prefix(8)) } ?? full
        return "<time title=\"\(full)\">\(hms)</time>"
    }

    /// A state as a coloured badge.
    static func state(_ s: String) -> String { "<span class=\"state s-\(esc(s.lowercased()))\">\(esc(s))</span>" }

    /// A link to a task.
    static func taskLink(_ id: String) -> String { "<a href=\"/task/\(IDPath.encode(id))\"><code>\(esc(id))</code></a>" }
}

/// Percent-encoding for ids and names placed in paths.
enum IDPath {
    static func encode(_ s: String) -> String { HTTPInput.encode(s) }
}
