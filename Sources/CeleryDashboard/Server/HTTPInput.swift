import Celery
import Foundation

/// A request as the dashboard's handlers see it: method, path segments, decoded query and
/// form fields, the raw body, and the headers that matter.
struct HTTPInput: Sendable {
    /// `GET`, `POST`…
    var method: String
    /// The path, percent-decoded, without the query.
    var path: String
    /// Query parameters (last value wins).
    var query: [String: String]
    /// Form fields of an `application/x-www-form-urlencoded` body, else empty.
    var form: [String: String]
    /// The body bytes (at most ``maxBody``).
    var body: [UInt8]
    /// Lower-cased header names → values.
    var headers: [String: String]

    /// Largest accepted body: 1 MiB.
    static let maxBody = 1 << 20

    /// Path segments: `/api/task/info/ID` → `["api", "task", "info", "ID"]`.
    var segments: [String] { path.split(separator: "/", omittingEmptySubsequences: true).map(String.init) }

    /// A field from the form, else the query.
    func field(_ name: String) -> String? { form[name] ?? query[name] }

    /// A field that must be present and non-empty.
    func required(_ name: String) throws -> String {
        guard let v = field(name)?.trimmingCharacters(in: .whitespacesAndNewlines), !v.isEmpty else {
            throw DashboardError.badRequest("missing field '\(name)'")
        }
        return v
    }

    /// Whether the body is JSON (by content type).
    var isJSON: Bool { headers["content-type"]?.lowercased().hasPrefix("application/json") ?? false }

    /// Whether the client asked for HTML (a browser) rather than JSON.
    var wantsHTML: Bool { headers["accept"]?.contains("text/html") ?? false }

    /// The body parsed as JSON; an empty body is `nil`; invalid JSON is a 400.
    func jsonBody() throws -> JSONValue? {
        if body.allSatisfy({ $0 == 32 || $0 == 10 || $0 == 13 || $0 == 9 }) { return nil }
        do { return try JSONCoding.parse(body) } catch {
            throw DashboardError.badRequest("the body is not valid JSON: \(error)")
        }
    }

    /// Cookies sent by the browser.
    var cookies: [String: String] {
        guard let h = headers["cookie"] else { return [:] }
        var out: [String: String] = [:]
        for part in h.split(separator: ";") {
            let kv = part.split(separator: "=", maxSplits: 1)
            guard kv.count == 2 else { continue }
            out[kv[0].trimmingCharacters(in: .whitespaces)] = kv[1].trimmingCharacters(in: .whitespaces)
        }
        return out
    }

    /// Parses `a=1&b=two%20words` (also `+` for space).
    static func parseForm(_ text: Substring) -> [String: String] {
        var out: [String: String] = [:]
        for pair in text.split(separator: "&") where !pair.isEmpty {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = decode(kv[0])
            out[key] = kv.count > 1 ? decode(kv[1]) : ""
        }
        return out
    }

    /// Percent-decoding with `+` as space; invalid escapes are kept as they are.
    static func decode(_ s: Substring) -> String {
        let u = Array(s.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(u.count)
        var i = 0
        func hex(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: return c - 48
            case 65...70: return c - 55
            case 97...102: return c - 87
            default: return nil
            }
        }
        while i < u.count {
            if u[i] == UInt8(ascii: "+") {
                out.append(32)
            } else if u[i] == UInt8(ascii: "%"), i + 2 < u.count, let h = hex(u[i + 1]), let l = hex(u[i + 2]) {
                out.append(h << 4 | l)
                i += 2
            } else {
                out.append(u[i])
            }
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Percent-encodes a query value.
    static func encode(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case 48...57, 65...90, 97...122, UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            default:
                out += "%" + Hex.encode([b]).uppercased()
            }
        }
        return out
    }
}

/// What a handler answers: status, content type, body, extra headers; or a stream of
/// server-sent events.
struct HTTPOutput: Sendable {
    var status: Int
    var contentType: String
    var body: [UInt8]
    var headers: [(String, String)] = []
    /// When set, the response is an event stream fed by this sequence (body ignored).
    var events: AsyncStream<String>?

    static func json(_ v: JSONValue, status: Int = 200) -> HTTPOutput {
        HTTPOutput(status: status, contentType: "application/json", body: (try? JSONCoding.encode(v)) ?? Array("null".utf8))
    }

    static func html(_ s: String, status: Int = 200) -> HTTPOutput {
        HTTPOutput(status: status, contentType: "text/html; charset=utf-8", body: Array(s.utf8))
    }

    static func text(_ s: String, status: Int = 200, type: String = "text/plain; charset=utf-8") -> HTTPOutput {
        HTTPOutput(status: status, contentType: type, body: Array(s.utf8))
    }

    static func redirect(_ location: String, cookie: String? = nil) -> HTTPOutput {
        var o = HTTPOutput(status: 303, contentType: "text/plain", body: Array("see \(location)".utf8))
        o.headers.append(("Location", location))
        if let cookie { o.headers.append(("Set-Cookie", cookie)) }
        return o
    }
}
