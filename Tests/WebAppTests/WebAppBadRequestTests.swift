import CeleryTestSupport
import Foundation
import Testing

/// Bad HTTP requests to the web app, on the open paths and behind authentication: each is a
/// clear JSON 4xx with the reason (405 with `Allow`, 413, 400), and the server goes on serving.
@Suite(.serialized) struct WebAppBadRequestTests {
    @Test func badRequestsOnEveryPathAreClear4xx() async throws {
        guard let redis = LiveServers.redis(), let mongo = LiveServers.mongo() else { return }
        let app = try await WebAppProcess.start(broker: redis, backend: mongo, data: try TestImages.directory("bad4xx"), queue: LiveServers.unique("webapp-4xx"))
        defer { app.child.killNow() }
        func expectError(_ r: WebAppProcess.Reply, _ status: Int, _ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let o = try r.json()
            #expect(r.status == status && o["status"] as? Int == status && (o["error"] as? String)?.contains(text) == true, "\(r.status) \(r.text)", sourceLocation: sourceLocation)
        }
        let form = "application/x-www-form-urlencoded"
        // The open paths check their methods and sizes too.
        try expectError(try await app.request("PUT", "/login", credentials: .none), 405, "PUT is not allowed on /login")
        try expectError(try await app.request("POST", "/healthcheck", credentials: .none), 405, "only GET")
        let bigLogin = try await app.request("POST", "/login", body: Array(repeating: UInt8(ascii: "a"), count: 20 << 10), contentType: form, credentials: .none)
        try expectError(bigLogin, 413, "larger than 16384 bytes")
        #expect(try await app.request("POST", "/login", body: [0xFF, 0xFE, 0x00], contentType: "application/octet-stream", credentials: .none).status == 401)
        // A session's oversized urlencoded POST is a 413 before the CSRF check reads it.
        let s = try await app.session()
        let bigForm = try await app.request("POST", "/signup", body: Array(repeating: UInt8(ascii: "a"), count: 70 << 10), contentType: form, credentials: .headers([s.cookie]))
        try expectError(bigForm, 413, "larger than")
        // Bad JSON, bad multipart, bad parameters: 400 with the reason.
        try expectError(try await app.request("POST", "/signup", body: Array("{\"email\": ".utf8), contentType: "application/json"), 400, "send JSON")
        try expectError(try await app.request("POST", "/signup", body: Array("[1, 2]".utf8), contentType: "application/json"), 400, "send JSON")
        let multipart = "multipart/form-data; boundary=xyz"
        try expectError(try await app.request("POST", "/thumbnails", body: Array("no boundary here".utf8), contentType: multipart), 400, "without its boundary")
        try expectError(try await app.request("POST", "/thumbnails", body: Array("--xyz\r\nContent-Type: image/png\r\n".utf8), contentType: multipart), 400, "end of its headers")
        try expectError(try await app.request("POST", "/thumbnails", body: Array("--xyz\r\n\r\n\u{89}PNG".utf8), contentType: multipart), 400, "not closed by the boundary")
        try expectError(try await app.request("POST", "/thumbnails?format=gif", body: [1], contentType: "image/png"), 400, "format must be png or ppm")
        try expectError(try await app.request("POST", "/thumbnails?pause_ms=x", body: [1], contentType: "image/png"), 400, "pause_ms must be an integer")
        try expectError(try await app.request("POST", "/thumbnails", body: [], contentType: "image/png"), 400, "no image")
        try expectError(try await app.request("GET", "/jobs/not%20an%20id"), 400, "is not a job id")
        try expectError(try await app.request("GET", "/thumbnails/\(WebAppProcess.jobId)"), 404, "no job")
        // Over HTTPS (a TLS proxy says so) the session cookie is Secure.
        let https = try await app.request(
            "POST", "/login", body: Array("token=\(try #require(app.token))".utf8), contentType: form, credentials: .none, headers: ["X-Forwarded-Proto: https"])
        #expect(https.header("set-cookie")?.hasSuffix("; Secure") == true, "\(https.headers)")
        #expect(try await app.request("GET", "/healthcheck").text == "OK", "still serving")
        #expect(await app.child.stop() == 0)
    }
}
