import CeleryTestSupport
import Foundation
import Testing
@testable import WebAppTasks

/// Authentication and CSRF of the web app, against the real process (real Redis and MongoDB):
/// every route but `/healthcheck` needs credentials; a browser session needs its CSRF token
/// on every POST; bearer and basic-auth scripts need none; logout ends the session.
@Suite(.serialized) struct WebAppAuthTests {
    @Test func everyRouteNeedsCredentials() async throws {
        guard let redis = LiveServers.redis(), let mongo = LiveServers.mongo() else { return }
        let app = try await WebAppProcess.start(
            broker: redis, backend: mongo, data: try TestImages.directory("auth"), queue: LiveServers.unique("webapp-auth"), extra: ["--basic-auth", "ada:lovelace-1815", "--loglevel", "debug"])
        defer { app.child.killNow() }
        #expect(try await app.request("GET", "/healthcheck", credentials: .none).status == 200)
        #expect(try await app.request("GET", "/login", credentials: .none).text.contains(#"<form method="post" action="/login""#))
        let routes = [("GET", "/"), ("GET", "/app.js"), ("GET", "/jobs/\(WebAppProcess.jobId)"), ("GET", "/thumbnails/\(WebAppProcess.jobId)"),
                      ("POST", "/signup"), ("POST", "/thumbnails"), ("POST", "/logout"), ("GET", "/no-such-page"), ("DELETE", "/signup")]
        let wrong: [(String, WebAppProcess.Credentials)] = [
            ("none", .none), ("wrong token", .headers(["Authorization: Bearer \(WebAppProcess.newToken())"])),
            ("token prefix", .headers(["Authorization: Bearer \(try #require(app.token).prefix(63))"])),
            ("wrong password", .headers([WebAppProcess.basic("ada", "lovelace-1816")])), ("unknown user", .headers([WebAppProcess.basic("bob", "lovelace-1815")])),
            ("forged cookie", .headers(["Cookie: webapp_session=abc.def"])), ("unknown scheme", .headers(["Authorization: Digest x"])),
        ]
        for (method, path) in routes {
            for (label, creds) in wrong {
                let r = try await app.request(method, path, body: method == "POST" ? WebAppProcess.signupBody : nil, contentType: "application/json", credentials: creds)
                #expect(r.status == 401, "\(method) \(path) with \(label): \(r.status) \(r.text)")
                #expect(try r.json()["status"] as? Int == 401 && r.header("content-type") == "application/json", "\(method) \(path): \(r.text)")
                #expect(r.headers.contains { $0.name == "www-authenticate" && $0.value.hasPrefix("Bearer") })
                #expect(r.headers.contains { $0.name == "www-authenticate" && $0.value.hasPrefix("Basic") })
            }
        }
        // A browser asking for a page gets the login form (still 401).
        let browser = try await app.request("GET", "/", credentials: .none, headers: ["Accept: text/html,application/xhtml+xml"])
        #expect(browser.status == 401 && browser.text.contains("id=\"login\"") && browser.header("content-type")?.hasPrefix("text/html") == true)
        // The right credentials: 200, and wrong methods or paths are clear errors after authentication.
        #expect(try await app.request("GET", "/app.js").status == 200)
        #expect(try await app.request("GET", "/jobs/\(WebAppProcess.jobId)", credentials: .headers([WebAppProcess.basic("ada", "lovelace-1815")])).status == 200)
        let method = try await app.request("DELETE", "/signup")
        #expect(method.status == 405 && method.header("allow") == "POST" && method.text.contains("DELETE is not allowed"), "\(method.text)")
        #expect(try await app.request("GET", "/signup").status == 405)
        let missing = try await app.request("GET", "/no-such-page")
        #expect(try missing.status == 404 && (missing.json()["error"] as? String)?.contains("no page") == true, "\(missing.text)")
        // Unauthenticated uploads are refused before their body is read (no 413, no upload stored).
        let big = [UInt8](repeating: 7, count: 9 << 20)
        #expect(try await app.request("POST", "/thumbnails", body: big, contentType: "image/png", credentials: .none).status == 401)
        #expect(try await app.request("POST", "/thumbnails", body: big, contentType: "image/png").status == 413)
        #expect((try? FileManager.default.contentsOfDirectory(atPath: app.data + "/uploads"))?.isEmpty ?? true)
        // The credentials never reach the log, not even at debug level.
        #expect(!app.child.output.contains(try #require(app.token)) && !app.child.output.contains("lovelace"), "\(app.child.output)")
        #expect(await app.child.stop() == 0)
    }

    @Test func browserSessionNeedsItsCSRFTokenAndLogoutEndsIt() async throws {
        guard let redis = LiveServers.redis(), let mongo = LiveServers.mongo() else { return }
        let app = try await WebAppProcess.start(broker: redis, backend: mongo, data: try TestImages.directory("csrf"), queue: LiveServers.unique("webapp-csrf"))
        defer { app.child.killNow() }
        let wrongLogin = try await app.login(form: "token=\(WebAppProcess.newToken())&next=%2F")
        #expect(wrongLogin.status == 401 && wrongLogin.text.contains("wrong token") && wrongLogin.header("set-cookie") == nil, "\(wrongLogin.text)")
        let crossSiteLogin = try await app.request(
            "POST", "/login", body: Array("token=\(try #require(app.token))".utf8), contentType: "application/x-www-form-urlencoded", credentials: .none,
            headers: ["Origin: http://evil.example", "Sec-Fetch-Site: cross-site"])
        #expect(crossSiteLogin.status == 403 && crossSiteLogin.header("set-cookie") == nil, "\(crossSiteLogin.text)")
        // An open redirect through ?next is not possible.
        #expect(try await app.login(form: "token=\(try #require(app.token))&next=%2F%2Fevil.example").header("location") == "/")

        let s = try await app.session()
        let other = try await app.session()
        #expect(s.csrf != other.csrf, "each session has its own CSRF token")
        let cookie = WebAppProcess.Credentials.headers([s.cookie])
        #expect(try await app.request("GET", "/jobs/\(WebAppProcess.jobId)", credentials: cookie).status == 200, "GET needs no CSRF token")
        let refused: [(String, [String])] = [
            ("no token", []), ("another session's token", ["X-CSRF-Token: \(other.csrf)"]), ("empty token", ["X-CSRF-Token: "]),
            ("other origin", ["X-CSRF-Token: \(s.csrf)", "Origin: http://evil.example"]),
            ("cross-site fetch", ["X-CSRF-Token: \(s.csrf)", "Sec-Fetch-Site: cross-site"]),
        ]
        for (label, headers) in refused {
            let r = try await app.request("POST", "/signup", body: WebAppProcess.signupBody, contentType: "application/json", credentials: cookie, headers: headers)
            #expect(try r.status == 403 && (r.json()["error"] as? String).map { $0.contains("CSRF") || $0.contains("cross-site") } == true, "\(label): \(r.status) \(r.text)")
        }
        let sameOrigin = ["X-CSRF-Token: \(s.csrf)", "Origin: \(app.base)", "Sec-Fetch-Site: same-origin"]
        let signup = try await app.request("POST", "/signup", body: WebAppProcess.signupBody, contentType: "application/json", credentials: cookie, headers: sameOrigin)
        #expect(signup.status == 202, "\(signup.text)")
        #expect(try await app.waitForJob(try #require(try signup.json()["id"] as? String))["state"] as? String == "SUCCESS")
        // An urlencoded form may carry the token as a field.
        let form = try await app.request(
            "POST", "/signup", body: Array("name=Grace&email=grace%40example.org&csrf_token=\(s.csrf)".utf8), contentType: "application/x-www-form-urlencoded", credentials: cookie)
        #expect(form.status == 202, "\(form.text)")
        let upload = try await app.request(
            "POST", "/thumbnails?max_side=16", body: PPMCodec.encode(try TestImages.blocks()), contentType: "image/x-portable-pixmap", credentials: cookie, headers: ["X-CSRF-Token: \(s.csrf)"])
        #expect(upload.status == 202, "\(upload.text)")
        #expect(try await app.request("POST", "/thumbnails", body: PPMCodec.encode(try TestImages.blocks()), contentType: "image/x-portable-pixmap", credentials: cookie).status == 403)

        // Logout is an action too: without the token it is refused; with it the session is gone.
        #expect(try await app.request("POST", "/logout", credentials: cookie).status == 403)
        let logout = try await app.request("POST", "/logout", body: Array("csrf_token=\(s.csrf)".utf8), contentType: "application/x-www-form-urlencoded", credentials: cookie)
        #expect(logout.status == 303 && logout.header("location") == "/login" && logout.header("set-cookie")?.contains("Max-Age=0") == true, "\(logout.status) \(logout.headers)")
        #expect(try await app.request("GET", "/jobs/\(WebAppProcess.jobId)", credentials: cookie).status == 401)
        #expect(try await app.request("POST", "/signup", body: WebAppProcess.signupBody, contentType: "application/json", credentials: cookie, headers: ["X-CSRF-Token: \(s.csrf)"]).status == 401)
        #expect(try await app.request("GET", "/jobs/\(WebAppProcess.jobId)", credentials: .headers([other.cookie])).status == 200, "the other session lives on")
        #expect(await app.child.stop() == 0)
    }

    @Test func bearerAndBasicScriptsNeedNoCSRFToken() async throws {
        guard let redis = LiveServers.redis(), let mongo = LiveServers.mongo() else { return }
        let app = try await WebAppProcess.start(
            broker: redis, backend: mongo, data: try TestImages.directory("api"), queue: LiveServers.unique("webapp-api"), token: nil,
            extra: ["--basic-auth", "ada:lovelace-1815,bob:b0b-secret"], env: ["CELERY_WEBAPP_TOKEN": "env-token-0123456789abcdef"])
        defer { app.child.killNow() }
        let bearer = WebAppProcess.Credentials.headers(["Authorization: Bearer env-token-0123456789abcdef"])
        let r = try await app.request("POST", "/signup", body: WebAppProcess.signupBody, contentType: "application/json", credentials: bearer)
        #expect(r.status == 202, "\(r.text)")
        // A bearer request is no browser's: not even another Origin makes it a CSRF.
        #expect(try await app.request("POST", "/signup", body: WebAppProcess.signupBody, contentType: "application/json", credentials: bearer, headers: ["Origin: http://evil.example"]).status == 202)
        let basic = WebAppProcess.Credentials.headers([WebAppProcess.basic("bob", "b0b-secret")])
        #expect(try await app.request("POST", "/signup", body: WebAppProcess.signupBody, contentType: "application/json", credentials: basic).status == 202)
        // Basic auth is cached by browsers: a cross-site request with it is refused.
        let cross = try await app.request("POST", "/signup", body: WebAppProcess.signupBody, contentType: "application/json", credentials: basic, headers: ["Origin: http://evil.example"])
        #expect(cross.status == 403, "\(cross.text)")
        #expect(try await app.request("POST", "/signup", body: WebAppProcess.signupBody, contentType: "application/json", credentials: basic, headers: ["Sec-Fetch-Site: same-site"]).status == 403)
        // The login form takes a user and password too.
        let byUser = try await app.login(form: "user=ada&password=lovelace-1815")
        #expect(byUser.status == 303 && byUser.header("set-cookie") != nil, "\(byUser.text)")
        #expect(try await app.login(form: "user=ada&password=").status == 401)
        #expect(await app.child.stop() == 0)
    }

    @Test func startingWithoutCredentials() async throws {
        guard let redis = LiveServers.redis(), let mongo = LiveServers.mongo() else { return }
        let data = try TestImages.directory("nocreds")
        let common = ["--port", "0", "--broker", redis, "--result-backend", mongo, "--data", data]
        // Off loopback without credentials: refused with a clear message.
        let (status, out) = try await runCommand(WebAppProcess.binary, common + ["--address", "0.0.0.0"], env: ["CELERY_WEBAPP_TOKEN": "", "CELERY_WEBAPP_BASIC_AUTH": ""])
        #expect(status == 64 && out.contains("refusing to listen on 0.0.0.0 without credentials"), "\(status) \(out)")
        let (short, shortOut) = try await runCommand(WebAppProcess.binary, common + ["--token", "secret"])
        #expect(short == 64 && shortOut.contains("at least 16 characters"), "\(short) \(shortOut)")
        let (bad, badOut) = try await runCommand(WebAppProcess.binary, common + ["--basic-auth", "nopassword"])
        #expect(bad == 64 && badOut.contains("user:password"), "\(bad) \(badOut)")
        let empty = data + "/empty-token"
        try TestImages.write([0x0A], empty)
        let (emptyStatus, emptyOut) = try await runCommand(WebAppProcess.binary, common + ["--token-file", empty])
        #expect(emptyStatus == 64 && emptyOut.contains("is empty"), "\(emptyStatus) \(emptyOut)")
        // --token-file: the token is read from the file (trimmed) and works.
        let fileToken = WebAppProcess.newToken()
        try TestImages.write(Array((fileToken + "\n").utf8), data + "/token")
        let fromFile = try await WebAppProcess.start(
            broker: redis, backend: mongo, data: data, queue: LiveServers.unique("webapp-file"), token: nil, extra: ["--token-file", data + "/token"])
        defer { fromFile.child.killNow() }
        #expect(try await fromFile.request("GET", "/jobs/\(WebAppProcess.jobId)", credentials: .headers(["Authorization: Bearer \(fileToken)"])).status == 200)
        #expect(!fromFile.child.output.contains("generated token"))
        #expect(await fromFile.child.stop() == 0)
        // On loopback: a generated token, printed once, that works.
        let app = try await WebAppProcess.start(broker: redis, backend: mongo, data: data, queue: LiveServers.unique("webapp-gen"), token: nil)
        defer { app.child.killNow() }
        let marker = "generated token (no --token or --basic-auth given; shown once): "
        #expect(await app.child.waitFor(marker, timeout: .seconds(10)))
        let line = try #require(app.child.output.components(separatedBy: "\n").first { $0.hasPrefix(marker) })
        let token = String(line.dropFirst(marker.count))
        #expect(token.count == 64 && app.child.output.components(separatedBy: token).count == 2, "printed exactly once")
        #expect(try await app.request("GET", "/jobs/\(WebAppProcess.jobId)", credentials: .headers(["Authorization: Bearer \(token)"])).status == 200)
        #expect(try await app.request("GET", "/jobs/\(WebAppProcess.jobId)", credentials: .none).status == 401)
        #expect(await app.child.stop() == 0)
    }
}
