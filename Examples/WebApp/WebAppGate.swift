import HTTPTypes
import Hummingbird

/// The middleware in front of every route: authentication, CSRF, allowed methods, and every
/// failure (ours or the router's) as a JSON `{"error", "status"}` answer.
///
/// Only `/healthcheck` and `/login` are open. Without valid credentials a browser that asks
/// for a page gets the login form (401); anything else a JSON 401 with `WWW-Authenticate`.
/// A `POST` from a browser session needs the session's CSRF token, and no `POST` but a
/// bearer-token one may come from another site (`Origin`, `Sec-Fetch-Site`).
struct WebAppGate<Context: RequestContext>: RouterMiddleware {
    let auth: WebAppAuth
    /// The largest urlencoded form read here for its `csrf_token` field, in bytes.
    static var formLimit: Int { 64 << 10 }

    /// The methods each path accepts (`*` = one path segment); `nil` = no such path.
    static func allowedMethods(_ path: String) -> [HTTPRequest.Method]? {
        switch path {
        case "/", "/app.js", "/healthcheck": return [.get]
        case "/login": return [.get, .post]
        case "/logout", "/signup", "/thumbnails": return [.post]
        default:
            let seg = path.split(separator: "/", omittingEmptySubsequences: false)
            if seg.count == 3, seg[0].isEmpty, !seg[2].isEmpty, seg[1] == "jobs" || seg[1] == "thumbnails" { return [.get] }
            return nil
        }
    }

    /// A 404 for an unknown path, a 405 with `Allow` for a method the path does not take, else `nil`.
    static func methodRefusal(_ request: Request, path: String) -> Response? {
        guard let allowed = allowedMethods(path) else { return WebAppRoutes.errorResponse(WebAppHTTPError(404, "no page \(path.prefix(100))")) }
        guard !allowed.contains(request.method) else { return nil }
        let list = allowed.map(\.rawValue).joined(separator: ", ")
        var r = WebAppRoutes.errorResponse(WebAppHTTPError(405, "\(request.method.rawValue) is not allowed on \(path.prefix(100)) (only \(list))"))
        r.headers[.allow] = list
        return r
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        await WebAppRoutes.guarded { try await check(request, context: context, next: next) }
    }

    func check(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if path == "/healthcheck" || path == "/login" {
            if let refusal = Self.methodRefusal(request, path: path) { return refusal }
            return try await next(request, context)
        }
        guard let proof = auth.verify(request) else {
            if request.method == .get, request.headers[.accept]?.contains("text/html") == true {
                return WebAppLogin(auth: auth).page(next: path, error: nil, status: 401)
            }
            var r = WebAppRoutes.errorResponse(WebAppHTTPError(
                401, "authentication required: 'Authorization: Bearer <token>', HTTP basic auth, or a session from /login"))
            r.headers[.wwwAuthenticate] = "Bearer realm=\"celery-webapp-example\""
            if !auth.credentials.users.isEmpty { r.headers[values: .wwwAuthenticate].append("Basic realm=\"celery-webapp-example\", charset=\"UTF-8\"") }
            return r
        }
        if let refusal = Self.methodRefusal(request, path: path) { return refusal }
        guard request.method == .post else { return try await next(request, context) }
        var request = request
        var formToken: String?
        if request.headers[.xCSRFToken] == nil, case .session = proof,
            request.headers[.contentType]?.lowercased().hasPrefix("application/x-www-form-urlencoded") == true
        {
            // The form's csrf_token field; the body stays readable for the handler.
            let body = try await WebAppRoutes.collect(&request, limit: Self.formLimit)
            formToken = FormDecoding.parse(String(decoding: body, as: UTF8.self))["csrf_token"]
        }
        if let refusal = auth.csrfRefusal(request, proof: proof, formToken: formToken) { throw WebAppHTTPError(403, refusal) }
        return try await next(request, context)
    }
}
