import NIOCore
import NIOEmbedded
import NIOTestUtils
import Testing

@testable import RESP

@Suite struct RESPCodecTests {
    func buf(_ s: String) -> ByteBuffer { ByteBuffer(string: s) }

    @Test func decodesEveryTypeWholeByteAtATimeAndBatched() throws {
        let pairs: [(String, [RESPValue])] = [
            ("+OK\r\n", [.simpleString("OK")]),
            ("-ERR unknown command 'FOO'\r\n", [.error("ERR unknown command 'FOO'")]),
            (":-42\r\n", [.integer(-42)]),
            ("$5\r\nhe\r\no\r\n", [.bulkString(Array("he\r\no".utf8))]),
            ("$0\r\n\r\n", [.bulkString([])]),
            ("$-1\r\n", [.bulkString(nil)]),
            ("*-1\r\n", [.array(nil)]),
            ("*0\r\n", [.array([])]),
            ("*3\r\n:1\r\n*2\r\n+a\r\n$1\r\nb\r\n$-1\r\n",
             [.array([.integer(1), .array([.simpleString("a"), .bulkString([98])]), .bulkString(nil)])]),
            ("+A\r\n:2\r\n", [.simpleString("A"), .integer(2)]),
        ]
        try ByteToMessageDecoderVerifier.verifyDecoder(stringInputOutputPairs: pairs) { RESPDecoder() }
    }

    @Test func encodesCommandsAsArraysOfBulkStrings() {
        var out = ByteBufferAllocator().buffer(capacity: 64)
        RESPEncoder.write(.array(["SET", "k", RESPValue(bytes: [0, 255])]), to: &out)
        #expect(out.readBytes(length: out.readableBytes)! == Array("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\n".utf8) + [0, 255, 13, 10])
    }

    @Test func encodeThenDecodeRoundTrips() throws {
        let values: [RESPValue] = [
            .simpleString("PONG"), .error("WRONGTYPE x"), .integer(Int64.min), .bulkString(nil), .array(nil),
            .array([.array([.array([])]), .bulkString(Array(repeating: 7, count: 1000))]),
        ]
        var b = ByteBufferAllocator().buffer(capacity: 2048)
        for v in values { RESPEncoder.write(v, to: &b) }
        var decoded: [RESPValue] = []
        while let v = try RESPParser().parse(&b) { decoded.append(v) }
        #expect(decoded == values)
        #expect(b.readableBytes == 0)
    }

    @Test(arguments: [
        ("?what\r\n", RESPError.Kind.protocolViolation),
        (":12x\r\n", .protocolViolation),
        (":\r\n", .protocolViolation),
        ("$-2\r\n", .protocolViolation),
        ("$abc\r\n", .protocolViolation),
        ("$3\r\nabcde\r\n", .protocolViolation),
        ("*-5\r\n", .protocolViolation),
        ("+OK\rX", .protocolViolation),
        ("+OK\n", .protocolViolation),
        ("$99999999999\r\n", .limitExceeded),
        ("*2000000\r\n", .limitExceeded),
    ])
    func malformedInputIsATypedError(input: String, kind: RESPError.Kind) {
        var b = buf(input)
        #expect { try RESPParser().parse(&b) } throws: { ($0 as? RESPError)?.kind == kind }
    }

    @Test func limitsAreEnforced() {
        let p = RESPParser(maxBulkLength: 4, maxArrayLength: 2, maxNesting: 2, maxLineLength: 8)
        var a = buf("$5\r\nhello\r\n")
        #expect { try p.parse(&a) } throws: { ($0 as? RESPError)?.kind == .limitExceeded }
        var b = buf("*3\r\n")
        #expect { try p.parse(&b) } throws: { ($0 as? RESPError)?.kind == .limitExceeded }
        var c = buf("*1\r\n*1\r\n*1\r\n:1\r\n")
        #expect { try p.parse(&c) } throws: { ($0 as? RESPError)?.kind == .limitExceeded }
        var d = buf("+0123456789")  // no CRLF yet, already longer than the line limit
        #expect { try p.parse(&d) } throws: { ($0 as? RESPError)?.kind == .limitExceeded }
        var e = buf("*2\r\n*1\r\n:1\r\n:2\r\n")
        #expect((try? p.parse(&e)) == .array([.array([.integer(1)]), .integer(2)]))
    }

    @Test func incompleteInputWaitsWithoutConsuming() throws {
        for partial in ["", "+O", "+OK\r", "$5\r\nhel", "*2\r\n:1\r\n", "*1\r\n$3\r\nab"] {
            var b = buf(partial)
            #expect(try RESPParser().parse(&b) == nil)
            #expect(b.readableBytes == partial.utf8.count)
        }
    }

    @Test func largeArraysInSmallReadsAreParsedOnce() throws {
        let n = 50_000
        var whole = ByteBufferAllocator().buffer(capacity: n * 8)
        RESPEncoder.write(.array((0..<n).map { .bulkString(Array(String($0).utf8)) }), to: &whole)
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(RESPDecoder()))
        let start = ContinuousClock.now
        while whole.readableBytes > 0 {
            try channel.writeInbound(whole.readSlice(length: min(512, whole.readableBytes))!)
        }
        let v = try #require(try channel.readInbound(as: RESPValue.self))
        #expect(v.array?.count == n && v.array?.last == .bulkString(Array(String(n - 1).utf8)))
        #expect(ContinuousClock.now - start < .seconds(20))  // re-parsing from the start would be ~1000× slower
        #expect(try channel.finish().isClean)
    }

    @Test func decoderEnforcesNestingAcrossReads() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(RESPDecoder(parser: RESPParser(maxNesting: 2))))
        try channel.writeInbound(buf("*1\r\n"))
        try channel.writeInbound(buf("*1\r\n"))
        #expect { try channel.writeInbound(self.buf("*1\r\n")) } throws: { ($0 as? RESPError)?.kind == .limitExceeded }
        _ = try? channel.finish()
    }

    @Test func truncatedArrayAtEOFIsAnError() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(RESPDecoder()))
        try channel.writeInbound(buf("*3\r\n:1\r\n"))
        #expect { try channel.finish() } throws: { ($0 as? RESPError)?.kind == .protocolViolation }
    }

    @Test func truncatedReplyAtEOFIsAnErrorInThePipeline() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(RESPDecoder()))
        try channel.writeInbound(buf("+OK\r\n$10\r\nabc"))
        #expect(try channel.readInbound(as: RESPValue.self) == .simpleString("OK"))
        #expect { try channel.finish() } throws: { ($0 as? RESPError)?.kind == .protocolViolation }
    }

    @Test func malformedReplyInThePipelineIsAnError() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(RESPDecoder()))
        #expect { try channel.writeInbound(self.buf("!oops\r\n")) } throws: { ($0 as? RESPError)?.kind == .protocolViolation }
        _ = try? channel.finish()
    }
}
