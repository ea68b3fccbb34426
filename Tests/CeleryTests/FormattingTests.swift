import Foundation
import Testing

@testable import Celery

/// `Format` replaces Foundation's `String(format:)` in the library (which needs only
/// FoundationEssentials); these tests hold it to `String(format:)`'s output.
@Suite struct FormattingTests {
    @Test func zeroPaddedMatchesPrintf() {
        for v in [0, 7, 42, 999, 1000, 2026, -5, -123, 1_000_000] {
            for w in [1, 2, 3, 4, 6] {
                #expect(Format.zeroPadded(v, width: w) == String(format: "%0\(w)d", v), "\(v) width \(w)")
            }
        }
    }

    @Test func hexMatchesPrintf() {
        for b in UInt8.min...UInt8.max {
            #expect(Format.hexByte(b) == String(format: "%02x", b))
        }
        #expect(Format.hex([0x00, 0x0f, 0xa5, 0xff]) == "000fa5ff")
    }

    @Test func fixedMatchesPrintfOnDurationsAndIntegralFloats() {
        // A fixed sequence (no randomness): durations from microseconds to hours, both signs.
        var x: UInt64 = 0x9E37_79B9_7F4A_7C15
        var samples: [Double] = [0, -0.0, 1, -1, 0.25, 2.5, 0.000_001, 1e15, -1e15, 123.456_789_4]
        for _ in 0..<5000 {
            x = x &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let unit = Double(x >> 11) / Double(1 << 53)
            samples.append((unit - 0.2) * [1e-3, 1, 60, 3600][Int(x & 3)])
        }
        for d in samples {
            for places in [0, 1, 2, 3, 4, 6] {
                #expect(Format.fixed(d, places: places) == String(format: "%.\(places)f", d), "\(d) places \(places)")
            }
        }
        #expect(Format.fixed(.nan, places: 2) == "nan")
        #expect(Format.fixed(-.infinity, places: 2) == "-inf")
    }

    @Test func pythonReprOfIntegralFloatsAndControlCharacters() {
        #expect(PythonRepr.repr(.double(3)) == "3.0")
        #expect(PythonRepr.repr(.double(-0.0)) == "-0.0")
        #expect(PythonRepr.repr(.string("a\u{01}b")) == "'a\\x01b'")
    }

    @Test func isoDatesAsPythonWritesThem() {
        let d = Date(timeIntervalSince1970: 1_764_300_000.123_456)
        #expect(CeleryDate.format(d) == "2025-11-28T03:20:00.123456+00:00")
        #expect(CeleryDate.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000000+00:00")
    }
}

/// The parser's integer fast path (up to 18 characters) and its fallbacks.
@Suite struct JSONNumberParsingTests {
    @Test func integersAndFloatsAtTheEdges() throws {
        let text = "[0,-0,7,-123,123456789012345678,-12345678901234567,1234567890123456789,9223372036854775807,"
            + "-9223372036854775808,9223372036854775808,1.5,-2.25e3,1E2]"
        let v = try JSONCoding.parse(Array(text.utf8))
        let a = try #require(v.arrayValue)
        let ints: [Int64] = [0, 0, 7, -123, 123_456_789_012_345_678, -12_345_678_901_234_567, 1_234_567_890_123_456_789, .max, .min]
        for (k, want) in ints.enumerated() { #expect(a[k] == .int(want), "\(k)") }
        #expect(a[9] == .double(9_223_372_036_854_775_808.0))
        #expect(a[10] == .double(1.5) && a[11] == .double(-2250) && a[12] == .double(100))
        for bad in ["01", "-", "1.", "--1", "1e", "[1,]"] {
            #expect(throws: (any Error).self) { try JSONCoding.parse(Array(bad.utf8)) }
        }
    }
}
