import Celery
import Foundation

extension Dashboard {
    /// Answers one request. Never throws: every failure becomes a clear 4xx/5xx answer
    /// (JSON for API clients, HTML for browsers).
    public func respond(method: String, uri: String, headers: [String: String], body: [UInt8]) async -> (status: Int, headers: [(String, String)], body: [UInt8]) {
        let out = await handle(Self.input(method: method, uri: uri, headers: headers, body: body))
        return (out.status, [("Content-Type", out.contentType)] + out.headers, out.body)
    }

    static func input(method: String, uri: String, headers: [String: String], body: [UInt8]) -> HTTPInput {
        let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = HTTPInput.decode(Substring(String(parts.first ?? "/").replacingOccurrences(of: "+", with: "%2B")))
        let query = parts.count > 1 ? HTTPInput.parseForm(parts[1]) : [:]
        var req = HTTPInput(method: method.uppercased(), path: path.isEmpty ? "/" : path, query: query, form: [:], body: body, headers: headers)
        if headers["content-type"]?.lowercased().hasPrefix("application/x-www-form-urlencoded") ?? false {
            req.form = HTTPInput.parseForm(Substring(String(decoding: body, as: UTF8.self)))
        }
        return req
    }

    func handle(_ req: HTTPInput) async -> HTTPOutput {
        do { return try await route(req) } catch let e as DashboardError {
            return errorOutput(req, status: e.status, message: e.message)
        } catch let e as CeleryError {
            return errorOutput(req, status: 503, message: e.message)
        } catch {
            logger.error("request \(req.method) \(req.path) failed: \(error)")
            return errorOutput(req, status: 500, message: "internal error: \(error)")
        }
    }

    func errorOutput(_ req: HTTPInput, status: Int, message: String) -> HTTPOutput {
        var out: HTTPOutput
        if req.wantsHTML && !req.path.hasPrefix("/api/") {
            out = .html(HTML.page("Error \(status)", active: "", csrf: auth.csrfToken, readOnly: configuration.readOnly, body: "<p class=\"error\">\(HTML.esc(message))</p>"), status: status)
        } else {
            out = .json(["error": .string(message), "status": .int(Int64(status))], status: status)
        }
        if status == 401, !configuration.credentials.basic.isEmpty, !req.wantsHTML {
            out.headers.append(("WWW-Authenticate", "Basic realm=\"celery-dashboard\""))
        }
        return out
    }

    private func route(_ req: HTTPInput) async throws -> HTTPOutput {
        let seg = req.segments
        if req.path == "/healthcheck" { return .text("OK") }
        if seg.first == "static", seg.count == 2 {
            guard let asset = StaticAssets.named(seg[1]) else { throw DashboardError.notFound("no such file") }
            var o = HTTPOutput.text(asset.body, type: asset.type)
            o.headers.append(("Cache-Control", "no-cache"))
            return o
        }
        if req.path == "/login" { return try login(req) }
        // Opening a session with ?token=T (the link printed at start).
        if req.method == "GET", let t = req.query["token"], auth.accepts(token: t, user: nil, password: nil) {
            var q = req.query
            q["token"] = nil
            let rest = q.isEmpty ? "" : "?" + q.map { "\(HTTPInput.encode($0.key))=\(HTTPInput.encode($0.value))" }.joined(separator: "&")
            return .redirect(req.path + rest, cookie: auth.openSession())
        }
        guard let proof = auth.verify(req) else {
            if req.wantsHTML, req.method == "GET", !req.path.hasPrefix("/api/") {
                return .html(loginPage(next: req.path, error: nil), status: 401)
            }
            throw DashboardError(401, "authentication required: HTTP basic auth, 'Authorization: Bearer <token>', or a session from /login")
        }
        let who = proof == .session ? "browser session" : proof == .bearer ? "api token" : "basic auth"
        if req.method == "POST" {
            guard auth.passesCSRF(req, proof: proof) else {
                throw DashboardError.forbidden("missing or wrong CSRF token (reload the page and try again)")
            }
        } else if req.method != "GET" && req.method != "HEAD" {
            throw DashboardError(405, "method \(req.method) is not allowed")
        }
        let message = req.query["msg"]
        switch (req.method, seg.first ?? "") {
        case (_, "api"): return try await api(req, by: who)
        case ("GET", "metrics") where seg.count == 1:
            return .text(await metricsText(), type: "text/plain; version=0.0.4; charset=utf-8")
        case ("GET", "events") where seg.count == 1:
            var o = HTTPOutput(status: 200, contentType: "text/event-stream", body: [])
            o.headers.append(("Cache-Control", "no-cache"))
            o.events = live.subscribe()
            return o
        case ("GET", "chart.svg"):
            return .text(SVGChart.throughput(cluster.series(now: Date().timeIntervalSince1970)), type: "image/svg+xml")
        case ("GET", "") where seg.isEmpty: return .html(try await overviewPage(message: message))
        case ("GET", "tasks") where seg.count == 1: return .html(try await tasksPage(req, message: message))
        case ("GET", "task") where seg.count == 2:
            guard let page = try await taskPage(seg[1], message: message) else { throw DashboardError.notFound("Unknown task '\(seg[1])'") }
            return .html(page)
        case ("GET", "queues") where seg.count == 1: return .html(try await queuesPage(message: message))
        case ("GET", "queue") where seg.count == 2: return .html(try await queuePage(seg[1], req, message: message))
        case ("GET", "workers") where seg.count == 1: return .html(try await workersPage(message: message))
        case ("POST", "action") where seg.count == 2: return try await formAction(seg[1], req, by: who)
        default: throw DashboardError.notFound("no page \(req.method) \(req.path)")
        }
    }

    private func login(_ req: HTTPInput) throws -> HTTPOutput {
        let next = req.field("next").flatMap { $0.hasPrefix("/") && !$0.hasPrefix("//") ? $0 : nil } ?? "/"
        guard req.method == "POST" else { return .html(loginPage(next: next, error: nil)) }
        if auth.accepts(token: req.form["token"], user: req.form["user"], password: req.form["password"]) {
            return .redirect(next, cookie: auth.openSession())
        }
        return .html(loginPage(next: next, error: "wrong token or user/password"), status: 401)
    }

    func loginPage(next: String, error: String?) -> String {
        let c = configuration.credentials
        var form = "<form method=\"post\" action=\"/login\" id=\"login\"><input type=\"hidden\" name=\"next\" value=\"\(HTML.esc(next))\">"
        if c.token != nil { form += "<label>token <input name=\"token\" type=\"password\" autocomplete=\"off\"></label>" }
        if !c.basic.isEmpty { form += "<label>user <input name=\"user\"></label><label>password <input name=\"password\" type=\"password\"></label>" }
        form += "<button type=\"submit\">Sign in</button></form>"
        if let error { form = "<p class=\"error\">\(HTML.esc(error))</p>" + form }
        return HTML.page("Sign in", active: "", csrf: "", readOnly: configuration.readOnly, body: form)
    }
}
