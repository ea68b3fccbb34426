import Celery
import Foundation
import HTTPTypes
import Hummingbird
import WebAppTasks

/// The example's HTTP handlers. Each slow job is a task: the handler checks its input,
/// enqueues, and answers `202 Accepted` with the job's URL at once; `GET /jobs/<id>` reads
/// the task's state from the result backend. Every failure is a JSON `{"error", "status"}`.
struct WebAppRoutes: Sendable {
    /// The app that sends tasks and reads results (it has a result backend).
    let app: Celery
    /// Where uploads and thumbnails live.
    let settings: WebAppSettings
    /// Largest accepted upload, in bytes.
    let maxUploadBytes: Int

    /// Who may use the app (the gate checks every request but `/healthcheck` and `/login`).
    let auth: WebAppAuth

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        // Added before the routes, so it runs for every request, including unknown paths.
        router.add(middleware: WebAppGate(auth: auth))
        let login = WebAppLogin(auth: auth)
        router.get("/") { req, _ in page(req) }
        router.get("/app.js") { _, _ in Self.reply(200, "text/javascript; charset=utf-8", Array(WebAppPage.script.utf8)) }
        router.get("/healthcheck") { _, _ in Self.reply(200, "text/plain", Array("OK".utf8)) }
        router.get("/login") { req, _ in await Self.guarded { try await login.login(req) } }
        router.post("/login") { req, _ in await Self.guarded { try await login.login(req) } }
        router.post("/logout") { req, _ in login.logout(req) }
        router.post("/signup") { req, _ in await Self.guarded { try await signup(req) } }
        router.post("/thumbnails") { req, _ in await Self.guarded { try await thumbnail(req) } }
        router.get("/jobs/:id") { _, ctx in await Self.guarded { try await job(ctx.parameters.get("id") ?? "") } }
        router.get("/thumbnails/:id") { _, ctx in await Self.guarded { try await image(ctx.parameters.get("id") ?? "") } }
        return router
    }

    // MARK: Handlers

    /// `GET /`: the page, carrying the session's CSRF token (empty for basic auth and bearer clients).
    func page(_ request: Request) -> Response {
        var csrf = ""
        if case .session(_, let token) = auth.verify(request) { csrf = token }
        return Self.reply(200, "text/html; charset=utf-8", Array(WebAppPage.html(csrfToken: csrf).utf8))
    }

    /// `POST /signup` with JSON `{"email", "name"}` or a form: enqueues the welcome mail.
    func signup(_ request: Request) async throws -> Response {
        var request = request
        let body = try await Self.collect(&request, limit: 64 << 10)
        let fields = try Self.fields(body, contentType: request.headers[.contentType] ?? "")
        let email = try Self.checked { try WelcomeMail.validate(email: fields["email"] ?? "") }
        let name = try Self.checked { try WelcomeMail.validate(name: fields["name"] ?? "") }
        let id = UUID().uuidString.lowercased()
        _ = try await app.send(task: WebAppTasks.sendWelcomeMail, args: [.string(email), .string(name)], options: CallOptions(taskId: id))
        return try accepted(id, extra: [:])
    }

    /// `POST /thumbnails[?max_side=N&format=png|ppm&pause_ms=M]` with the image as the raw
    /// body (`Content-Type: image/png` …) or as the file of a multipart form.
    func thumbnail(_ request: Request) async throws -> Response {
        var request = request
        let q = request.uri.queryParameters
        let maxSide = try Self.integer(q["max_side"].map(String.init), "max_side", default: 128, 1...WebAppTasks.maxThumbnailSide)
        let pause = try Self.integer(q["pause_ms"].map(String.init), "pause_ms", default: 0, 0...5_000)
        let format = q["format"].map { String($0).lowercased() } ?? "png"
        guard ImageFormat(rawValue: format) != nil else { throw WebAppHTTPError(400, "format must be png or ppm") }
        let body = try await Self.collect(&request, limit: maxUploadBytes)
        var image = body
        if let boundary = MultipartBody.boundary(contentType: request.headers[.contentType] ?? "") {
            let parts = try MultipartBody.parse(body, boundary: boundary)
            guard let file = parts.first(where: { $0.filename != nil }) ?? parts.first else { throw WebAppHTTPError(400, "the form has no file") }
            image = Array(file.data)
        }
        guard !image.isEmpty else { throw WebAppHTTPError(400, "no image in the request body") }
        // The header is checked now (a 400 at once); the task decodes the rest and fails clearly if it is corrupt.
        let info = try Self.checked { try ImageFormat.inspect(image) }
        let id = UUID().uuidString.lowercased()
        let upload = "\(id).\(info.format.fileExtension)"
        try settings.createDirectories()
        try WebAppSettings.writeAtomically(image, to: settings.uploads + "/" + upload)
        do {
            _ = try await app.send(
                task: WebAppTasks.makeThumbnail, args: [.string(upload), .int(Int64(maxSide)), .string(format), .int(Int64(pause))],
                options: CallOptions(taskId: id))
        } catch {
            try? FileManager.default.removeItem(atPath: settings.uploads + "/" + upload)
            throw error
        }
        return try accepted(id, extra: [
            "thumbnail": .string("/thumbnails/\(id)"), "source_width": .int(Int64(info.width)), "source_height": .int(Int64(info.height)),
        ])
    }

    /// `GET /jobs/<id>`: `{id, state, progress, runtime, result, error}`.
    func job(_ id: String) async throws -> Response {
        guard JobStatus.isValidId(id) else { throw WebAppHTTPError(400, "'\(id.prefix(80))' is not a job id") }
        let meta = try await app.backend?.meta(for: id)
        return try Self.json(200, JobStatus.json(id: id, meta: meta))
    }

    /// `GET /thumbnails/<id>`: the scaled image once the job succeeded; 409 before, 404 if unknown.
    func image(_ id: String) async throws -> Response {
        guard JobStatus.isValidId(id) else { throw WebAppHTTPError(400, "'\(id.prefix(80))' is not a job id") }
        guard let meta = try await app.backend?.meta(for: id) else { throw WebAppHTTPError(404, "no job \(id)") }
        guard meta.status == .success else {
            throw WebAppHTTPError(meta.status.isReady ? 404 : 409, "job \(id) is \(meta.status.rawValue): no thumbnail\(meta.status.isReady ? "" : " yet")")
        }
        guard case .object(let r) = meta.result, let path = r["path"]?.stringValue, let format = r["format"]?.stringValue.flatMap(ImageFormat.init(rawValue:)),
            path == settings.thumbnails + "/\(id).\(format.fileExtension)"
        else { throw WebAppHTTPError(404, "job \(id) is not a thumbnail job of this app") }
        guard let data = FileManager.default.contents(atPath: path) else { throw WebAppHTTPError(404, "thumbnail file of job \(id) is gone") }
        return Self.reply(200, format.contentType, Array(data))
    }

    // MARK: Helpers

    /// 202 with `Location` and `{id, state: "PENDING", job: "/jobs/<id>", …}`.
    func accepted(_ id: String, extra: [String: JSONValue]) throws -> Response {
        var o: [String: JSONValue] = ["id": .string(id), "state": "PENDING", "job": .string("/jobs/\(id)")]
        for (k, v) in extra { o[k] = v }
        var r = try Self.json(202, .object(o))
        r.headers[.location] = "/jobs/\(id)"
        return r
    }

    /// The whole body, at most `limit` bytes (else a 413).
    static func collect(_ request: inout Request, limit: Int) async throws -> [UInt8] {
        do { return Array(buffer: try await request.collectBody(upTo: limit)) } catch {
            throw WebAppHTTPError(413, "request body larger than \(limit) bytes")
        }
    }

    /// Runs a handler; any error becomes a JSON answer (never a dropped connection).
    static func guarded(_ body: () async throws -> Response) async -> Response {
        do { return try await body() } catch let e as WebAppHTTPError {
            return errorResponse(e)
        } catch let e as CeleryError {
            return errorResponse(WebAppHTTPError(503, "queue unavailable: \(e.message)"))
        } catch let e as HTTPError {
            return errorResponse(WebAppHTTPError(Int(e.status.code), e.body ?? e.status.reasonPhrase))
        } catch {
            return errorResponse(WebAppHTTPError(500, "internal error: \(error)"))
        }
    }

    /// `{"error": message, "status": status}` with that status.
    static func errorResponse(_ e: WebAppHTTPError) -> Response {
        (try? json(e.status, ["error": .string(e.message), "status": .int(Int64(e.status))])) ?? reply(e.status, "text/plain", Array(e.message.utf8))
    }

    /// A ``WebAppError`` from input checks as a 400 (413 for size limits).
    static func checked<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as WebAppError {
            throw WebAppHTTPError(e.kind == .tooLarge ? 413 : 400, e.message)
        }
    }

    static func integer(_ raw: String?, _ name: String, default value: Int, _ range: ClosedRange<Int>) throws -> Int {
        guard let raw else { return value }
        guard let n = Int(raw), range.contains(n) else { throw WebAppHTTPError(400, "\(name) must be an integer in \(range.lowerBound)…\(range.upperBound)") }
        return n
    }

    /// `email` and `name` from a JSON object or an urlencoded form.
    static func fields(_ body: [UInt8], contentType: String) throws -> [String: String] {
        if contentType.lowercased().hasPrefix("application/x-www-form-urlencoded") {
            return FormDecoding.parse(String(decoding: body, as: UTF8.self))
        }
        guard case .object(let o)? = try? JSONCoding.parse(body) else {
            throw WebAppHTTPError(400, "send JSON {\"email\": …, \"name\": …} or an urlencoded form")
        }
        return o.compactMapValues(\.stringValue)
    }

    static func json(_ status: Int, _ value: JSONValue) throws -> Response {
        reply(status, "application/json", try JSONCoding.encode(value))
    }

    static func reply(_ status: Int, _ type: String, _ body: [UInt8]) -> Response {
        var h = HTTPFields()
        h[.contentType] = type
        h[.cacheControl] = "no-store"
        if type.hasPrefix("text/html") {
            // No framing by other sites (clickjacking), no scripts but our own.
            h[.contentSecurityPolicy] = "default-src 'self'; img-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'"
            h[.xFrameOptions] = "DENY"
        }
        return Response(status: HTTPResponse.Status(code: status), headers: h, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}

/// `application/x-www-form-urlencoded` fields (last value wins).
enum FormDecoding {
    static func parse(_ s: String) -> [String: String] {
        var out: [String: String] = [:]
        for pair in s.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let k = decode(kv[0]), v = kv.count > 1 ? decode(kv[1]) : ""
            out[k] = v
        }
        return out
    }

    static func decode(_ s: Substring) -> String {
        s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s)
    }
}
