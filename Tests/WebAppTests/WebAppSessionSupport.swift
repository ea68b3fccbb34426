import Foundation
import Testing

/// Signing in to the web app the way a browser does, for the auth, bad-request and browser tests.
extension WebAppProcess {
    /// A job id no test enqueues (a well-formed UUID).
    static let jobId = "0f4c2a8e-1111-4222-8333-944455556666"
    /// A valid signup, as JSON.
    static let signupBody = Array(#"{"email": "ada@example.org", "name": "Ada"}"#.utf8)
    /// The `Authorization: Basic` header line for `user`/`password`.
    static func basic(_ user: String, _ password: String) -> String { "Authorization: Basic " + Data("\(user):\(password)".utf8).base64EncodedString() }

    /// A browser session: its cookie header and the CSRF token the page carries.
    struct Session {
        var cookie: String
        var csrf: String
    }

    /// `POST /login` with the urlencoded `form` and no credentials.
    func login(form: String) async throws -> WebAppProcess.Reply {
        try await request("POST", "/login", body: Array(form.utf8), contentType: "application/x-www-form-urlencoded", credentials: .none)
    }

    /// Signs in with the token (checking the cookie's attributes) and reads the page's CSRF token.
    func session() async throws -> Session {
        let r = try await login(form: "token=\(try #require(token))&next=%2F")
        #expect(r.status == 303 && r.header("location") == "/", "\(r.status) \(r.headers)")
        let setCookie = try #require(r.header("set-cookie"), "no Set-Cookie: \(r.headers)")
        for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] { #expect(setCookie.contains(attribute), "\(setCookie)") }
        #expect(!setCookie.contains("Secure"), "plain HTTP: no Secure attribute")
        let cookie = "Cookie: " + String(setCookie.prefix { $0 != ";" })
        let page = try await request("GET", "/", credentials: .headers([cookie]))
        #expect(page.status == 200, "\(page.text)")
        let marker = #"<meta name="csrf-token" content=""#
        let csrf = try #require(page.text.components(separatedBy: marker).dropFirst().first?.prefix { $0 != "\"" }, "no CSRF token in the page")
        #expect(csrf.count == 64 && page.text.contains(#"name="csrf_token" value="\#(csrf)""#))
        return Session(cookie: cookie, csrf: String(csrf))
    }
}
