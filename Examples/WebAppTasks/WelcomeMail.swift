import Celery
import Foundation

/// A welcome e-mail as an RFC 5322 message (`.eml`): CRLF line ends, a `Date`, a
/// `Message-ID` derived from the task id (the same on every redelivery), MIME UTF-8 text,
/// non-ASCII display names and subject as RFC 2047 encoded words.
public struct WelcomeMail: Sendable, Hashable {
    /// The recipient's address (checked by ``validate(email:)``).
    public var to: String
    /// The recipient's name (checked by ``validate(name:)``).
    public var name: String
    /// The sender (default `swift-celery example <welcome@example.invalid>`).
    public var from: String = "swift-celery example <welcome@example.invalid>"
    /// The id that makes the `Message-ID` (the task id).
    public var id: String
    /// When it is written.
    public var date: Date

    /// A welcome mail to `name <to>`, identified by `id`.
    public init(to: String, name: String, id: String, date: Date = Date()) throws {
        self.to = try Self.validate(email: to)
        self.name = try Self.validate(name: name)
        self.id = id
        self.date = date
    }

    /// A trimmed address of the form `local@domain`, at most 254 bytes, with no spaces,
    /// control characters or `<>()[],;:"\`; anything else is a ``WebAppError/Kind/badInput``.
    public static func validate(email raw: String) throws -> String {
        let e = raw.trimmingCharacters(in: .whitespaces)
        let parts = e.split(separator: "@", omittingEmptySubsequences: false)
        let forbidden = Set("<>()[],;:\"\\ \t\r\n")
        guard e.utf8.count <= 254, parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."),
            !parts[1].hasSuffix("."), !e.contains(where: { forbidden.contains($0) || $0.asciiValue.map { $0 < 32 || $0 == 127 } == true })
        else { throw WebAppError(.badInput, "'\(e.prefix(80))' is not an e-mail address (local@domain.tld)") }
        return e
    }

    /// A trimmed name of 1…100 characters without control characters (no header injection).
    public static func validate(name raw: String) throws -> String {
        let n = raw.trimmingCharacters(in: .whitespaces)
        guard !n.isEmpty, n.count <= 100 else { throw WebAppError(.badInput, "name must be 1…100 characters") }
        guard !n.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw WebAppError(.badInput, "name must not contain control characters")
        }
        return n
    }

    /// The subject line.
    public var subject: String { "Welcome, \(name)!" }

    /// The whole message, CRLF line ends.
    public var rfc5322: String {
        let headers = [
            "From: \(from)",
            "To: \(Self.phrase(name)) <\(to)>",
            "Subject: \(Self.encodedWord(subject))",
            "Date: \(Self.rfc5322Date(date))",
            "Message-ID: <\(id)@swift-celery.example>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: 8bit",
        ]
        let body = [
            "Hello \(name),", "",
            "welcome aboard! Your account for \(to) is ready.", "",
            "This message was written by a swift-celery task (id \(id)),",
            "after the web request that asked for it had already answered.", "",
            "-- ", "The swift-celery web-app example",
        ]
        return (headers + [""] + body).joined(separator: "\r\n") + "\r\n"
    }

    /// A display name: plain ASCII words as a quoted string, anything else as an encoded word.
    static func phrase(_ s: String) -> String {
        if s.allSatisfy({ $0.isASCII }) {
            return "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        return encodedWord(s)
    }

    /// `s` as is when ASCII, else RFC 2047 `=?utf-8?B?…?=` words of at most 45 input bytes each.
    static func encodedWord(_ s: String) -> String {
        if s.allSatisfy({ $0.isASCII }) { return s }
        var words: [String] = []
        var chunk: [UInt8] = []
        for ch in s {
            let bytes = Array(String(ch).utf8)
            if chunk.count + bytes.count > 45 {
                words.append("=?utf-8?B?\(Base64.encode(chunk))?=")
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty { words.append("=?utf-8?B?\(Base64.encode(chunk))?=") }
        return words.joined(separator: "\r\n ")
    }

    /// `Tue, 01 Dec 2026 22:30:05 +0000`.
    static func rfc5322Date(_ d: Date) -> String {
        let t = Int(d.timeIntervalSince1970.rounded(.down))
        let days = t >= 0 ? t / 86_400 : (t - 86_399) / 86_400
        let secs = t - days * 86_400
        // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][((days % 7) + 7) % 7]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(weekday), \(two(day)) \(months[month - 1]) \(year) \(two(secs / 3600)):\(two(secs / 60 % 60)):\(two(secs % 60)) +0000"
    }
}
