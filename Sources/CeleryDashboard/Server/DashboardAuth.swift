import Foundation
import Synchronization

/// Who may use the dashboard, and the CSRF token that every form carries.
///
/// A request is let in by HTTP basic auth, `Authorization: Bearer T`, or a session cookie
/// that a successful login (`/login`, or `?token=T` once) opened. Sessions are random ids
/// kept in memory (at most ``maxSessions``; the oldest are dropped). Only `/healthcheck`
/// needs nothing.
final class DashboardAuth: Sendable {
    /// The session cookie's name.
    static let cookieName = "celery_dashboard_session"
    /// Most sessions remembered.
    static let maxSessions = 1000

    let credentials: DashboardCredentials
    /// The per-process CSRF token (synchronizer token): rendered into every page and form,
    /// required on every state-changing request made by a browser.
    let csrfToken = DashboardCredentials.generateToken()
    private let sessions = Mutex<[String]>([])

    init(credentials: DashboardCredentials) { self.credentials = credentials }

    /// How a request proved who it is.
    enum Proof: Equatable {
        /// `Authorization: Bearer` (a script; exempt from CSRF).
        case bearer
        /// HTTP basic auth (a script or a browser).
        case basic
        /// A session cookie (a browser).
        case session
    }

    /// The proof a request carries, or `nil` when it carries none that is valid.
    func verify(_ req: HTTPInput) -> Proof? {
        if let h = req.headers["authorization"] {
            if h.lowercased().hasPrefix("bearer "), let token = credentials.token {
                return Self.equal(String(h.dropFirst(7)).trimmingCharacters(in: .whitespaces), token) ? .bearer : nil
            }
            if h.lowercased().hasPrefix("basic "), let (user, password) = Self.decodeBasic(String(h.dropFirst(6))) {
                let ok = credentials.basic.contains { Self.equal($0.user, user) && Self.equal($0.password, password) }
                if ok { return .basic }
            }
        }
        if let sid = req.cookies[Self.cookieName], sessions.withLock({ $0.contains(sid) }) { return .session }
        return nil
    }

    /// Whether a token or user/password pair (from the login form or `?token=`) is valid.
    func accepts(token: String?, user: String?, password: String?) -> Bool {
        if let token, !token.isEmpty, let t = credentials.token, Self.equal(token, t) { return true }
        if let user, let password {
            return credentials.basic.contains { Self.equal($0.user, user) && Self.equal($0.password, password) }
        }
        return false
    }

    /// Opens a session; returns the `Set-Cookie` value.
    func openSession() -> String {
        let sid = DashboardCredentials.generateToken()
        sessions.withLock { s in
            s.append(sid)
            if s.count > Self.maxSessions { s.removeFirst(s.count - Self.maxSessions) }
        }
        return "\(Self.cookieName)=\(sid); Path=/; HttpOnly; SameSite=Strict"
    }

    /// Whether a state-changing request passes the CSRF check: a bearer-token script always
    /// does; otherwise the request must carry the token (form field `csrf_token` or header
    /// `X-CSRF-Token`), except a basic-auth request that no browser made cross-site (no
    /// `Origin` header, or one naming this host), so Flower-style scripts keep working.
    func passesCSRF(_ req: HTTPInput, proof: Proof) -> Bool {
        if proof == .bearer { return true }
        if let t = req.form["csrf_token"] ?? req.headers["x-csrf-token"], Self.equal(t, csrfToken) { return true }
        if proof == .basic {
            guard let origin = req.headers["origin"] else { return req.headers["sec-fetch-site"].map { $0 == "same-origin" || $0 == "none" } ?? true }
            guard let host = req.headers["host"] else { return false }
            return origin == "http://\(host)" || origin == "https://\(host)"
        }
        return false
    }

    /// `dXNlcjpwYXNz` → ("user", "pass").
    static func decodeBasic(_ b64: String) -> (String, String)? {
        guard let data = Data(base64Encoded: b64.trimmingCharacters(in: .whitespaces)), let s = String(data: data, encoding: .utf8),
            let colon = s.firstIndex(of: ":")
        else { return nil }
        return (String(s[..<colon]), String(s[s.index(after: colon)...]))
    }

    /// Compares without an early exit on the first difference (no timing hint of how much matched).
    static func equal(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var diff = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<max(x.count, y.count) { diff |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0) }
        return diff == 0
    }
}
