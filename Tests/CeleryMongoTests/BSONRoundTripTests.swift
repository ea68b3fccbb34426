import Celery
import Foundation
import Testing

@testable import CeleryMongo

/// Swift values ⇄ libbson, no server needed.
@Suite struct BSONRoundTripTests {
    func roundTrip(_ fields: [BSONField]) throws -> [BSONField] {
        try BSONDocument(fields).fields()
    }

    @Test func scalarsKeepTheirTypes() throws {
        let oid = BSONObjectId(bytes: Array(0..<12))
        let fields: [BSONField] = [
            BSONField("d", .double(1.5)), BSONField("s", .string("hé ✓ 🎉 日本")), BSONField("t", .bool(true)),
            BSONField("n", .null), BSONField("i32", .int32(-7)), BSONField("i64", .int64(1 << 40)),
            BSONField("date", .date(milliseconds: 1_700_000_000_123)), BSONField("oid", .objectId(oid)),
            BSONField("bin", .binary(subtype: 0, bytes: [0, 1, 255])), BSONField("empty", .binary(subtype: 5, bytes: [])),
            BSONField("nul", .string("a\u{0}b")), BSONField("", .string("")),
        ]
        #expect(try roundTrip(fields) == fields)
        #expect(oid.description == "000102030405060708090a0b")
    }

    @Test func jsonValuesRoundTripThroughBSON() throws {
        let value: JSONValue = [
            "int": 7, "big": .int(Int64.max), "neg": .int(Int64.min), "double": 0.1, "str": "ü — 😀 \u{7}",
            "list": [1, "two", nil, false, [3.5]], "obj": ["nested": ["deeper": ["x": 1]]], "empty": [:], "none": [],
        ]
        let doc = try BSONDocument([BSONField("v", BSONValue(json: value))])
        let back = try doc.fields()[field: "v"]?.json
        #expect(back == value)
        // Small integers are int32 (as Python drivers write them), large ones int64.
        if case .document(let f)? = try doc.fields()[field: "v"] {
            #expect(f[field: "int"] == .int32(7))
            #expect(f[field: "big"] == .int64(Int64.max))
        } else {
            Issue.record("not a document")
        }
    }

    @Test func deepNestingRoundTrips() throws {
        var value: JSONValue = "leaf"
        for i in 0..<150 { value = i % 2 == 0 ? ["k": value] : [value] }
        let doc = try BSONDocument([BSONField("v", BSONValue(json: value))])
        #expect(try doc.fields()[field: "v"]?.json == value)
    }

    @Test func tooDeepIsAnErrorNotACrash() throws {
        var value: BSONValue = .null
        for _ in 0..<(BSONEncoding.maxDepth + 5) { value = .array([value]) }
        #expect(throws: CeleryError.self) { try BSONDocument([BSONField("v", value)]) }
    }

    @Test func keyWithNULIsRejected() {
        #expect(throws: CeleryError.self) { try BSONDocument([BSONField("a\u{0}b", .int32(1))]) }
    }

    @Test func corruptBytesAreRejectedOrDecodeWithError() throws {
        let good = try BSONDocument([BSONField("a", .document([BSONField("b", .string("xyz"))]))]).bytes
        // Truncations and single-byte corruptions: never a crash.
        for cut in 0..<good.count {
            if let d = BSONDocument.fromBytes(Array(good.prefix(cut))) { _ = try? d.fields() }
        }
        for i in 0..<good.count {
            for v: UInt8 in [0, 0x7f, 0xff] {
                var bad = good
                bad[i] = v
                if let d = BSONDocument.fromBytes(bad) { _ = try? d.fields() }
            }
        }
        // A nested length pointing past the end is reported, not read.
        var bad = good
        bad[8] = 0x7f
        if let d = BSONDocument.fromBytes(bad) {
            #expect(throws: CeleryError.self) { try d.fields() }
        }
    }

    @Test func unsupportedTypesReadAsNames() throws {
        // {"r": /ab/i} written by hand: type 0x0B regex.
        var body: [UInt8] = [0x0B] + Array("r".utf8) + [0] + Array("ab".utf8) + [0] + Array("i".utf8) + [0]
        body.append(0)
        let total = UInt32(body.count + 4)
        let bytes = withUnsafeBytes(of: total.littleEndian) { Array($0) } + body
        let doc = try #require(BSONDocument.fromBytes(bytes))
        #expect(try doc.fields() == [BSONField("r", .unsupported("regex"))])
        #expect(BSONValue.unsupported("regex").json == .string("<regex>"))
    }
}
