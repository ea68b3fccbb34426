import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

/// Authentication and CSRF for the web app.
///
/// A request proves who it is with `Authorization: Bearer T`, HTTP basic auth, or the
/// session cookie that `POST /login` sets. A session is `<id>.<secret>`: the id finds it, the
/// secret is compared in constant time; each session has its own CSRF token, which the page
/// carries (`<meta name="csrf-token">`) and its script sends as `X-CSRF-Token`. Sessions
/// live in memory (at most ``maxSessions``, the oldest dropped first) for ``sessionLifetime``.
final class WebAppAuth: Sendable {
    /// The session cookie's name.
    static let cookieName = "webapp_session"
    /// Most sessions remembered.
    static let maxSessions = 1000

    /// How a request proved who it is.
    enum Proof: Sendable, Equatable {
        /// `Authorization: Bearer` (an API client: no cookie, so no CSRF token needed).
        case bearer
        /// HTTP basic auth (a script, or a browser that caches it: cross-site requests are refused).
        case basic
        /// The session cookie (a browser): state changes need the session's CSRF token.
        case session(id: String, csrf: String)
    }

    /// One signed-in browser: the cookie's secret, its CSRF token, and when it ends.
    struct Session {
        var secret: String
        var csrf: String
        var expires: Date
    }

    let credentials: WebAppCredentials
    /// How long a session lasts after login, in seconds.
    let sessionLifetime: TimeInterval
    /// Whether the cookie is always marked `Secure` (else only when the request came over HTTPS).
    let secureCookies: Bool
    private let sessions = Mutex<(byId: [String: Session], order: [String])>(([:], []))

    init(credentials: WebAppCredentials, sessionLifetime: TimeInterval = 12 * 3600, secureCookies: Bool = false) {
        self.credentials = credentials
        self.sessionLifetime = sessionLifetime
        self.secureCookies = secureCookies
    }

    /// The proof a request carries, or `nil` when it has none that is valid. A wrong
    /// `Authorization` header is `nil` even if a valid cookie is also present.
    func verify(_ request: Request) -> Proof? {
        if let h = request.headers[.authorization] {
            let lower = h.lowercased()
            if lower.hasPrefix("bearer ") {
                return credentials.accepts(token: String(h.dropFirst(7)).trimmingCharacters(in: .whitespaces)) ? .bearer : nil
            }
            if lower.hasPrefix("basic "), let (user, password) = Self.decodeBasic(String(h.dropFirst(6))) {
                return credentials.accepts(user: user, password: password) ? .basic : nil
            }
            return nil
        }
        guard let cookie = request.cookies[Self.cookieName]?.value else { return nil }
        return session(cookie).map { .session(id: $0.id, csrf: $0.csrf) }
    }

    /// The live session a cookie value names.
    func session(_ cookie: String) -> (id: String, csrf: String)? {
        let parts = cookie.split(separator: ".", maxSplits: 1)
        guard parts.count == 2 else { return nil }
        let id = String(parts[0]), secret = String(parts[1])
        return sessions.withLock { s -> (id: String, csrf: String)? in
            guard let found = s.byId[id], WebAppCredentials.equal(found.secret, secret) else { return nil }
            guard found.expires > Date() else {
                s.byId[id] = nil
                return nil
            }
            return (id, found.csrf)
        }
    }

    /// Whether the login form's token or user/password is valid.
    func accepts(token: String?, user: String?, password: String?) -> Bool {
        if let token, !token.isEmpty { return credentials.accepts(token: token) }
        if let user, let password, !user.isEmpty { return credentials.accepts(user: user, password: password) }
        return false
    }

    /// Opens a session; returns the `Set-Cookie` value.
    func openSession(secure: Bool) -> String {
        let id = String(WebAppCredentials.randomToken().prefix(24)), secret = WebAppCredentials.randomToken()
        let session = Session(secret: secret, csrf: WebAppCredentials.randomToken(), expires: Date().addingTimeInterval(sessionLifetime))
        sessions.withLock { s in
            s.byId[id] = session
            s.order.append(id)
            while s.byId.count > Self.maxSessions || s.order.count > 2 * Self.maxSessions, !s.order.isEmpty {
                s.byId[s.order.removeFirst()] = nil
            }
        }
        return cookie("\(id).\(secret)", maxAge: Int(sessionLifetime), secure: secure)
    }

    /// Ends a session; returns the `Set-Cookie` value that clears the cookie.
    func closeSession(id: String, secure: Bool) -> String {
        sessions.withLock { s in
            s.byId[id] = nil
            s.order.removeAll { $0 == id }
        }
        return cookie("", maxAge: 0, secure: secure)
    }

    /// A `Set-Cookie` value for the session cookie (`HttpOnly; SameSite=Strict`, `Secure` over HTTPS).
    func cookie(_ value: String, maxAge: Int, secure: Bool) -> String {
        "\(Self.cookieName)=\(value); Path=/; Max-Age=\(maxAge); HttpOnly; SameSite=Strict" + (secure || secureCookies ? "; Secure" : "")
    }

    /// Why a state-changing request must be refused (a 403 message), or `nil` when it may go on.
    /// Bearer requests always may. Others are refused when `Origin` names another site or
    /// `Sec-Fetch-Site` says cross-site; a session must also send its CSRF token
    /// (`X-CSRF-Token` header, or the `csrf_token` field of a form).
    func csrfRefusal(_ request: Request, proof: Proof?, formToken: String?) -> String? {
        if proof == .bearer { return nil }
        if let refusal = Self.crossSiteRefusal(request) { return refusal }
        guard case .session(_, let csrf) = proof else { return nil }
        guard let sent = request.headers[.xCSRFToken] ?? formToken, !sent.isEmpty else {
            return "missing CSRF token: send the page's token as X-CSRF-Token (reload the page and try again)"
        }
        return WebAppCredentials.equal(sent, csrf) ? nil : "wrong CSRF token (reload the page and try again)"
    }

    /// A 403 message when the browser says the request comes from another site.
    static func crossSiteRefusal(_ request: Request) -> String? {
        if let site = request.headers[.secFetchSite]?.lowercased(), site != "same-origin", site != "none" {
            return "cross-site request refused (Sec-Fetch-Site: \(site.prefix(20)))"
        }
        if let origin = request.headers[.origin] {
            guard let host = request.head.authority, origin == "http://\(host)" || origin == "https://\(host)" else {
                return "cross-site request refused (Origin \(origin.prefix(100)) is not this server)"
            }
        }
        return nil
    }

    /// Whether the request came over HTTPS (a TLS-terminating proxy says so in `X-Forwarded-Proto`).
    static func isHTTPS(_ request: Request) -> Bool {
        request.head.scheme == "https" || request.headers[.xForwardedProto]?.lowercased() == "https"
    }

    /// `dXNlcjpwYXNz` → ("user", "pass").
    static func decodeBasic(_ b64: String) -> (String, String)? {
        guard let data = Data(base64Encoded: b64.trimmingCharacters(in: .whitespaces)), let s = String(data: data, encoding: .utf8),
            let colon = s.firstIndex(of: ":")
        else { return nil }
        return (String(s[..<colon]), String(s[s.index(after: colon)...]))
    }
}

extension HTTPField.Name {
    static let xCSRFToken = Self("X-CSRF-Token")!
    static let secFetchSite = Self("Sec-Fetch-Site")!
    static let xForwardedProto = Self("X-Forwarded-Proto")!
    static let xFrameOptions = Self("X-Frame-Options")!
}
