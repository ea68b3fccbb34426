import Foundation
import HTTPTypes
import Hummingbird

/// `GET /login` (the form), `POST /login` (token, or user and password → a session cookie and
/// a redirect) and `POST /logout` (ends the session; the gate has checked its CSRF token).
struct WebAppLogin: Sendable {
    let auth: WebAppAuth

    /// `POST /login` with an urlencoded `token`, or `user` and `password`, and `next`.
    func login(_ request: Request) async throws -> Response {
        guard request.method == .post else { return page(next: Self.safeNext(request.uri.queryParameters["next"].map(String.init)), error: nil, status: 200) }
        // A login form posted from another site would sign the victim in as the attacker.
        if let refusal = WebAppAuth.crossSiteRefusal(request) { throw WebAppHTTPError(403, refusal) }
        var request = request
        let form = FormDecoding.parse(String(decoding: try await WebAppRoutes.collect(&request, limit: 16 << 10), as: UTF8.self))
        let next = Self.safeNext(form["next"])
        guard auth.accepts(token: form["token"], user: form["user"], password: form["password"]) else {
            return page(next: next, error: "wrong token or user name and password", status: 401)
        }
        var r = Self.redirect(next)
        r.headers[.setCookie] = auth.openSession(secure: WebAppAuth.isHTTPS(request))
        return r
    }

    /// `POST /logout`: forgets the session and clears the cookie; 303 to `/login`.
    func logout(_ request: Request) -> Response {
        var r = Self.redirect("/login")
        if case .session(let id, _) = auth.verify(request) {
            r.headers[.setCookie] = auth.closeSession(id: id, secure: WebAppAuth.isHTTPS(request))
        }
        return r
    }

    /// A path on this server (`/…`, not `//host` or `/\host`), else `/`.
    static func safeNext(_ next: String?) -> String {
        guard let n = next, n.hasPrefix("/"), !n.hasPrefix("//"), !n.hasPrefix("/\\"), n.utf8.count <= 512,
            !n.unicodeScalars.contains(where: { $0.value < 0x21 || $0.value == 0x7F })
        else { return "/" }
        return n
    }

    static func redirect(_ location: String) -> Response {
        var r = WebAppRoutes.reply(303, "text/plain; charset=utf-8", Array("see \(location)\n".utf8))
        r.headers[.location] = location
        return r
    }

    /// The sign-in form (a token field, user and password fields: those the credentials use),
    /// with an error line when `error` is given.
    func page(next: String, error: String?, status: Int) -> Response {
        let tokenField = #"<label>Token <input type="password" name="token" id="login-token" autocomplete="off"></label>"#
        let userFields = #"""
            <label>User <input type="text" name="user" id="login-user" autocomplete="username"></label>
            <label>Password <input type="password" name="password" id="login-password" autocomplete="current-password"></label>
            """#
        let c = auth.credentials
        let fields = [c.token != nil ? tokenField : nil, c.users.isEmpty ? nil : userFields].compactMap { $0 }.joined(separator: "\n<p class=\"or\">or</p>\n")
        let html = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>Sign in: swift-celery web app</title>
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <style>
            body { font: 15px/1.4 system-ui, sans-serif; max-width: 24em; margin: 4em auto; padding: 0 1em; color: #222; }
            fieldset { border: 1px solid #ccc; border-radius: 6px; padding: 1em; } label { display: block; margin: .5em 0; }
            input[type=text], input[type=password] { width: 100%; } .error { color: #b00; } .or { color: #777; margin: .6em 0; }
            </style></head>
            <body><h1>Sign in</h1>
            \(error.map { "<p class=\"error\" id=\"login-error\">\(Self.esc($0))</p>" } ?? "")
            <form method="post" action="/login" id="login"><fieldset>
            <input type="hidden" name="next" value="\(Self.esc(next))">
            \(fields)
            <button type="submit">Sign in</button></fieldset></form>
            </body></html>
            """
        return WebAppRoutes.reply(status, "text/html; charset=utf-8", Array(html.utf8))
    }

    static func esc(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
