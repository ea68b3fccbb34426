import Foundation
import Testing
@testable import WebAppTasks

@Suite struct ScalerTests {
    @Test func wholeFactorKeepsEveryBlockColourExactly() async throws {
        let img = try TestImages.blocks()
        var reports: [(Int, Int)] = []
        let t = try await ImageScaler(maxSide: 16).scale(img) { reports.append(($0, $1)) }
        #expect(t.width == 16 && t.height == 12)
        for y in 0..<12 {
            for x in 0..<16 {
                let c = TestImages.blockColor(x / 4, y / 4)
                #expect(t[x: x, y: y] == c, "pixel \(x),\(y)")
            }
        }
        #expect(reports.last.map { $0 == (12, 12) } == true)
        #expect(reports.count >= 2)
    }

    @Test func fractionalFactorAveragesAreas() async throws {
        // 3×1: black, white, black → 2×1: each output covers 1.5 source pixels.
        let img = try RGBImage(width: 3, height: 1) { x, _ in x == 1 ? (255, 255, 255) : (0, 0, 0) }
        let t = try await ImageScaler(maxSide: 2).scale(img)
        #expect(t.width == 2 && t.height == 1)
        // (0 * 1 + 255 * 0.5) / 1.5 = 85
        #expect(t[x: 0, y: 0] == (85, 85, 85))
        #expect(t[x: 1, y: 0] == (85, 85, 85))
    }

    @Test func sizesKeepTheAspectRatioAndNeverGrow() {
        let s = ImageScaler(maxSide: 100)
        #expect(s.size(width: 400, height: 200) == (100, 50))
        #expect(s.size(width: 200, height: 400) == (50, 100))
        #expect(s.size(width: 1000, height: 1) == (100, 1))
        #expect(s.size(width: 80, height: 60) == (80, 60))
    }
}

@Suite struct WelcomeMailTests {
    @Test func writesAnRFC5322Message() throws {
        let date = Date(timeIntervalSince1970: 1_796_164_805)  // 2026-12-01T22:40:05Z, a Tuesday
        let m = try WelcomeMail(to: "ada@example.org", name: "Ada Lovelace", id: "abc-123", date: date)
        let text = m.rfc5322
        let (head, body) = try #require(text.range(of: "\r\n\r\n").map { (text[..<$0.lowerBound], text[$0.upperBound...]) })
        let lines = head.components(separatedBy: "\r\n")
        #expect(lines.contains("To: \"Ada Lovelace\" <ada@example.org>"))
        #expect(lines.contains("Subject: Welcome, Ada Lovelace!"))
        #expect(lines.contains("Date: Tue, 01 Dec 2026 22:40:05 +0000"))
        #expect(lines.contains("Message-ID: <abc-123@swift-celery.example>"))
        #expect(lines.contains("MIME-Version: 1.0"))
        #expect(lines.allSatisfy { $0.utf8.count <= 998 })
        #expect(body.hasPrefix("Hello Ada Lovelace,"))
        // Every line ends in CRLF: no bare LF.
        #expect(!text.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
    }

    @Test func nonASCIINamesBecomeEncodedWords() throws {
        let m = try WelcomeMail(to: "z@example.org", name: "Zoë Ωmega", id: "1")
        let subject = try #require(m.rfc5322.components(separatedBy: "\r\n").first { $0.hasPrefix("Subject: ") })
        #expect(subject.hasPrefix("Subject: =?utf-8?B?"))
        let b64 = subject.dropFirst("Subject: =?utf-8?B?".count).dropLast(2)
        #expect(String(decoding: Data(base64Encoded: String(b64)) ?? Data(), as: UTF8.self) == "Welcome, Zoë Ωmega!")
        // Headers are ASCII (the body may be UTF-8, declared 8bit).
        let head = try #require(m.rfc5322.components(separatedBy: "\r\n\r\n").first)
        #expect(head.unicodeScalars.allSatisfy { $0.isASCII })
    }

    @Test func badAddressesAndHeaderInjectionAreRefused() {
        for bad in ["", "plain", "a@b", "a@@b.org", "a b@c.org", "a@b.org\r\nBcc: x@y.org", "<a@b.org>", "a@.org", "a@org."] {
            #expect(throws: WebAppError.self, "\(bad)") { try WelcomeMail.validate(email: bad) }
        }
        #expect(throws: WebAppError.self) { try WelcomeMail.validate(name: "Eve\r\nBcc: all@example.org") }
        #expect(throws: WebAppError.self) { try WelcomeMail.validate(name: "  ") }
        #expect(throws: WebAppError.self) { try WelcomeMail.validate(name: String(repeating: "x", count: 101)) }
        #expect((try? WelcomeMail.validate(email: " ada@example.org ")) == "ada@example.org")
    }
}
