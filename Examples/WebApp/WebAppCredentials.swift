import Foundation

/// Who may use the web app: a bearer token, `user:password` pairs for HTTP basic auth and the
/// login form, or both. There is no built-in default: with none given the app generates a
/// token at start on a loopback address (printed once) and refuses to start on any other.
struct WebAppCredentials: Sendable {
    /// One user and password (basic auth, or the login form).
    struct User: Sendable {
        var name: String
        var password: String
    }

    /// The token accepted as `Authorization: Bearer T` and in the login form; `nil` = none.
    var token: String?
    /// The users accepted with basic auth and in the login form.
    var users: [User]
    /// Whether ``token`` was generated at start (none was configured).
    var generated = false

    /// Fewest characters a configured token may have.
    static let minimumTokenLength = 16

    init(token: String? = nil, users: [User] = []) {
        self.token = token.flatMap { $0.isEmpty ? nil : $0 }
        self.users = users
    }

    /// Whether nothing is configured.
    var isEmpty: Bool { token == nil && users.isEmpty }

    /// The credentials from the flags, falling back to the environment (`CELERY_WEBAPP_TOKEN`,
    /// `CELERY_WEBAPP_BASIC_AUTH`). `tokenFile` is read and trimmed (a secret kept out of `ps`).
    /// Throws a ``WebAppHTTPError`` with a readable message (the command exits 64 with it).
    static func resolve(token: String?, tokenFile: String?, basicAuth: String?, environment: [String: String]) throws -> WebAppCredentials {
        var t = token ?? environment["CELERY_WEBAPP_TOKEN"]
        if let tokenFile {
            guard t == nil else { throw WebAppHTTPError(400, "give --token or --token-file, not both") }
            guard let data = FileManager.default.contents(atPath: tokenFile) else { throw WebAppHTTPError(400, "cannot read --token-file \(tokenFile)") }
            t = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard t?.isEmpty == false else { throw WebAppHTTPError(400, "--token-file \(tokenFile) is empty") }
        }
        if let t, !t.isEmpty, t.count < minimumTokenLength {
            throw WebAppHTTPError(400, "the token must have at least \(minimumTokenLength) characters (a random one: openssl rand -hex 32)")
        }
        let users = try parseUsers(basicAuth ?? environment["CELERY_WEBAPP_BASIC_AUTH"] ?? "")
        return WebAppCredentials(token: t, users: users)
    }

    /// `user:password[,user:password…]` (Flower's `--basic-auth` form); empty text = no users.
    static func parseUsers(_ text: String) throws -> [User] {
        try text.split(separator: ",").map { pair in
            guard let colon = pair.firstIndex(of: ":"), colon != pair.startIndex, pair.index(after: colon) != pair.endIndex else {
                throw WebAppHTTPError(400, "--basic-auth wants user:password (several separated by commas)")
            }
            return User(name: String(pair[..<colon]), password: String(pair[pair.index(after: colon)...]))
        }
    }

    /// Whether a token matches ``token`` (constant time).
    func accepts(token candidate: String) -> Bool {
        guard let token, !candidate.isEmpty else { return false }
        return Self.equal(candidate, token)
    }

    /// Whether `user`/`password` is one of ``users`` (constant time per comparison, every user checked).
    func accepts(user: String, password: String) -> Bool {
        var ok = false
        for u in users where Self.equal(u.name, user) && Self.equal(u.password, password) { ok = true }
        return ok
    }

    /// What the banner says about the credentials, never their values.
    var summary: String {
        var parts: [String] = []
        if token != nil { parts.append(generated ? "a generated token" : "a token") }
        if !users.isEmpty { parts.append("\(users.count) user\(users.count == 1 ? "" : "s") (basic auth)") }
        return parts.joined(separator: " and ")
    }

    /// A random token: 32 bytes as 64 hex digits.
    static func randomToken() -> String {
        var g = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &g)) }.joined()
    }

    /// Compares without stopping at the first difference (the time does not tell how much matched).
    static func equal(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var diff: UInt8 = x.count == y.count ? 0 : 1
        for i in 0..<max(x.count, y.count) { diff |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0) }
        return diff == 0
    }
}
