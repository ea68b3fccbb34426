import Celery
import CeleryDashboard
import Foundation
import Testing

/// Authentication, CSRF, read-only mode and bad requests, against a dashboard over real Redis and MongoDB.
@Suite(.serialized) struct AuthAndErrorTests {
    @Test func apiRefusesRequestsWithoutValidCredentials() async throws {
        let d = try await LiveDashboard(broker: try Servers.redis(), backend: try Servers.mongo(), basic: [.init(user: "ann", password: "pw")])
        defer { Task { await d.stop() } }
        #expect(try await d.get("/healthcheck", auth: nil).status == 200)
        #expect(try await d.get("/healthcheck", auth: nil).text == "OK")
        for path in ["/api/workers", "/api/tasks", "/api/queues/length", "/metrics", "/", "/events"] {
            let r = try d.curl(path)
            #expect(r.status == 401, "\(path) without credentials")
        }
        #expect(try d.curl("/api/tasks", auth: "Bearer wrong").status == 401)
        #expect(try d.curl("/api/tasks", auth: "Basic " + Data("ann:nope".utf8).base64EncodedString()).status == 401)
        #expect(try await d.get("/api/tasks").status == 200)
        #expect(try await d.get("/api/tasks", auth: "Basic " + Data("ann:pw".utf8).base64EncodedString()).status == 200)
        let unauth = try d.curl("/api/tasks")
        #expect(unauth.headers["www-authenticate"]?.contains("Basic") == true)
        #expect(try unauth.json()["error"]?.stringValue?.contains("authentication required") == true)
        // The generated-token link opens a session (cookie) and drops the token from the URL.
        let r = try await d.request("GET", "/tasks?token=\(d.token)&state=SUCCESS", auth: nil)
        #expect(r.status == 303)
        #expect(r.headers["location"] == "/tasks?state=SUCCESS")
        let cookie = try #require(r.headers["set-cookie"]?.split(separator: ";").first.map(String.init))
        #expect(cookie.hasPrefix("celery_dashboard_session=") && r.headers["set-cookie"]!.contains("HttpOnly"))
        let withCookie = try await d.request("GET", "/tasks?state=SUCCESS", auth: nil, headers: ["Cookie": cookie, "Accept": "text/html"])
        #expect(withCookie.status == 200 && withCookie.text.contains("id=\"task-filters\""))
        #expect(try await d.request("GET", "/tasks", auth: nil, headers: ["Cookie": "celery_dashboard_session=forged", "Accept": "text/html"]).status == 401)
        // A browser without credentials gets the sign-in page; a wrong token does not open a session.
        let signIn = try await d.request("GET", "/", auth: nil, headers: ["Accept": "text/html"])
        #expect(signIn.status == 401 && signIn.text.contains("id=\"login\""))
        #expect(try d.curl("/?token=wrong").headers["set-cookie"] == nil)
    }

    @Test func refusesNonLoopbackWithoutCredentials() async throws {
        let config = DashboardConfiguration(brokerURL: try Servers.redis(), address: "0.0.0.0", port: 0)
        await #expect(throws: DashboardError.self) { _ = try await DashboardServer(configuration: config) }
        // On loopback a token is generated instead.
        let local = try await DashboardServer(configuration: DashboardConfiguration(brokerURL: try Servers.redis(), port: 0))
        #expect((local.generatedToken?.count ?? 0) == 64)
        await local.dashboard.close()
    }

    @Test func formsNeedTheCSRFTokenAndReadOnlyRefusesActions() async throws {
        let queue = Servers.unique("dash-csrf")
        let d = try await LiveDashboard(broker: try Servers.redis(), backend: nil, basic: [.init(user: "ann", password: "pw")])
        defer { Task { await d.stop() } }
        let basic = "Basic " + Data("ann:pw".utf8).base64EncodedString()
        let form = "name=tasks.add&args=%5B1%2C2%5D&queue=\(queue)&confirmed=1"
        // A browser posting cross-site (Origin of another site) without the token is refused.
        let cross = try await d.request("POST", "/action/enqueue", auth: basic,
            headers: ["Content-Type": "application/x-www-form-urlencoded", "Origin": "http://evil.example", "Accept": "application/json"], body: Data(form.utf8))
        #expect(cross.status == 403)
        let page = try await d.get("/", auth: basic)
        let csrf = try #require(page.text.firstMatch(of: /name="csrf-token" content="([0-9a-f]+)"/)?.1)
        let ok = try await d.request("POST", "/action/enqueue", auth: basic,
            headers: ["Content-Type": "application/x-www-form-urlencoded", "Origin": "http://evil.example", "Accept": "application/json"],
            body: Data((form + "&csrf_token=\(csrf)").utf8))
        #expect(ok.status == 200, "\(ok.text)")
        #expect(try ok.json()["task-id"]?.stringValue != nil)
        // Without confirmation the server asks first (no script needed).
        let ask = try await d.request("POST", "/action/purge", auth: basic,
            headers: ["Content-Type": "application/x-www-form-urlencoded"], body: Data("queue=\(queue)&csrf_token=\(csrf)".utf8))
        #expect(ask.status == 200 && ask.text.contains("Confirm purge"))
        #expect(try await d.request("POST", "/action/purge", auth: basic, headers: ["Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"],
            body: Data("queue=\(queue)&csrf_token=\(csrf)&confirmed=1".utf8)).json()["purged"]?.intValue == 1)

        let ro = try await LiveDashboard(broker: try Servers.redis(), backend: nil, readOnly: true)
        defer { Task { await ro.stop() } }
        let refused = try await ro.postJSON("/api/task/async-apply/tasks.add", ["args": [1, 2], "options": ["queue": .string(queue)]])
        #expect(refused.status == 403)
        #expect(try refused.json()["error"]?.stringValue?.contains("read-only") == true)
        #expect(try await ro.request("POST", "/api/task/revoke/abc").status == 403)
    }

    @Test func badRequestsGetClearErrorsAndTheServerKeepsServing() async throws {
        let d = try await LiveDashboard(broker: try Servers.redis(), backend: try Servers.mongo())
        defer { Task { await d.stop() } }
        let badJSON = try await d.request("POST", "/api/task/async-apply/tasks.add", headers: ["Content-Type": "application/json"], body: Data("{nope".utf8))
        #expect(badJSON.status == 400)
        #expect(try badJSON.json()["error"]?.stringValue?.contains("JSON") == true)
        #expect(try await d.postJSON("/api/task/async-apply/tasks.add", ["args": "not a list"]).status == 400)
        #expect(try await d.postJSON("/api/task/async-apply/tasks.add", [1, 2]).status == 400)
        #expect(try await d.postJSON("/api/task/async-apply/tasks.add", ["options": ["countdown": "soon"]]).status == 400)
        #expect(try await d.get("/api/nothing/here").status == 404)
        #expect(try await d.get("/api/task/info/\(UUID().uuidString)").status == 404)
        #expect(try await d.get("/api/task/info/has%20space").status == 400)
        #expect(try await d.get("/api/tasks?limit=-3").status == 400)
        #expect(try await d.request("DELETE", "/api/tasks").status == 405)
        let big = try await d.request("POST", "/api/task/async-apply/tasks.add", headers: ["Content-Type": "application/json"], body: Data(repeating: 32, count: 2 << 20))
        #expect(big.status == 413)
        #expect(try await d.get("/healthcheck").status == 200)
        #expect(try await d.get("/api/tasks").status == 200)
    }
}
