import CeleryTestSupport
import Foundation
import Testing
@testable import WebAppTasks

/// The image codecs: our own PPM and PNG against each other and against Debian's netpbm
/// (`pnmtopng`, `pngtopnm`), an independent implementation, over every PNG variant it writes.
@Suite struct CodecTests {
    @Test func ppmRoundTrips() throws {
        let img = try TestImages.gradient()
        let bytes = PPMCodec.encode(img)
        #expect(bytes.starts(with: Array("P6\n37 23\n255\n".utf8)))
        #expect(try PPMCodec.decode(bytes) == img)
    }

    @Test func ppmHeaderWithCommentsAndSixteenBitSamplesAndGrey() throws {
        // 2×1, maxval 65535, a comment in the header.
        let p6: [UInt8] = Array("P6 # made by hand\n2 1\n# another\n65535\n".utf8) + [0xFF, 0xFF, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x7F, 0xFF, 0xFF, 0xFF]
        let img = try PPMCodec.decode(p6)
        #expect(img[x: 0, y: 0] == (255, 128, 0))
        #expect(img[x: 1, y: 0] == (0, 127, 255))
        let p5: [UInt8] = Array("P5\n3 1\n15\n".utf8) + [0, 15, 5]
        let g = try PPMCodec.decode(p5)
        #expect(g[x: 1, y: 0] == (255, 255, 255))
        #expect(g[x: 2, y: 0] == (85, 85, 85))
    }

    @Test func pngRoundTrips() throws {
        for img in [try TestImages.gradient(), try TestImages.blocks(), try RGBImage(width: 1, height: 1) { _, _ in (9, 8, 7) }] {
            let png = try PNGEncoder.encode(img)
            #expect(PNGDecoder.matches(png))
            #expect(try PNGDecoder.decode(png) == img)
        }
    }

    @Test func badImagesAreClearErrorsNotCrashes() throws {
        let png = try PNGEncoder.encode(try TestImages.gradient())
        var badCRC = png
        badCRC[29] ^= 0xFF  // inside IHDR's CRC
        #expect(throws: WebAppError.self) { try PNGDecoder.decode(badCRC) }
        let cases: [(String, [UInt8])] = [
            ("truncated PNG", Array(png.prefix(png.count / 2))),
            ("bad CRC", badCRC),
            ("signature only", PNGDecoder.signature),
            ("truncated PPM", Array(PPMCodec.encode(try TestImages.gradient()).prefix(100))),
            ("PPM without size", Array("P6\n".utf8)),
            ("PPM maxval 0", Array("P6\n1 1\n0\n".utf8) + [0, 0, 0]),
            ("huge PPM", Array("P6\n100000 100000\n255\n".utf8)),
            ("text", Array("hello, not an image".utf8)),
            ("empty", []),
        ]
        for (name, bytes) in cases {
            do {
                _ = try ImageFormat.decode(bytes)
                Issue.record("\(name) decoded")
            } catch let e as WebAppError {
                #expect(e.isClientError, "\(name): \(e)")
                #expect(!e.message.isEmpty)
            }
        }
        // A corrupt zlib stream inside valid chunks.
        var corrupt = png
        let idat = try #require(MultipartSearch.find(Array("IDAT".utf8), in: corrupt))
        corrupt[idat + 6] ^= 0x55
        let fixed = Self.refreshCRC(corrupt, chunkTypeAt: idat)
        #expect(throws: WebAppError.self) { try PNGDecoder.decode(fixed) }
    }

    /// Recomputes the CRC of the chunk whose type starts at `at`, so only the data is wrong.
    static func refreshCRC(_ png: [UInt8], chunkTypeAt at: Int) -> [UInt8] {
        var p = png
        let length = Int(ChunkReader.be32(p, at - 4))
        let crc = Zlib.crc32(p[at..<(at + 4 + length)])
        p.replaceSubrange((at + 4 + length)..<(at + 8 + length), with: PNGEncoder.be32(crc))
        return p
    }

    // MARK: Against netpbm

    func netpbm(_ tool: String, _ args: [String], input: String, output: String) async throws {
        let (status, out) = try await runCommand("/bin/sh", ["-c", "\(tool) \(args.joined(separator: " ")) < '\(input)' > '\(output)'"], timeout: .seconds(30))
        try #require(status == 0, "\(tool) failed: \(out)")
    }

    @Test func ourPNGReadsBackWithNetpbm() async throws {
        let dir = try TestImages.directory("netpbm-read")
        let img = try TestImages.gradient(width: 61, height: 29)
        try TestImages.write(try PNGEncoder.encode(img), dir + "/ours.png")
        try await netpbm("pngtopnm", [], input: dir + "/ours.png", output: dir + "/back.ppm")
        #expect(try PPMCodec.decode(try TestImages.read(dir + "/back.ppm")) == img)
    }

    @Test(arguments: [
        ("rgb", [String](), false), ("interlaced", ["-interlace"], false), ("palette", [], true),
        ("palette-interlaced", ["-interlace"], true),
    ])
    func netpbmPNGReadsWithOurs(name: String, flags: [String], fewColours: Bool) async throws {
        let dir = try TestImages.directory("netpbm-\(name)")
        // Few colours make pnmtopng write a palette image; the gradient needs RGB.
        let img = fewColours ? try TestImages.blocks(width: 45, height: 33, block: 7) : try TestImages.gradient(width: 45, height: 33)
        try TestImages.write(PPMCodec.encode(img), dir + "/src.ppm")
        try await netpbm("pnmtopng", flags, input: dir + "/src.ppm", output: dir + "/theirs.png")
        let png = try TestImages.read(dir + "/theirs.png")
        let header = try PNGDecoder.header(png)
        #expect(header.interlaced == flags.contains("-interlace"))
        if fewColours { #expect(header.colorType == 3, "expected a palette PNG, got colour type \(header.colorType)") }
        #expect(try PNGDecoder.decode(png) == img)
    }

    @Test func netpbmGreyLowDepthSixteenBitAndAlphaReadWithOurs() async throws {
        let dir = try TestImages.directory("netpbm-grey")
        // Grey with 4 levels → a 2-bit grey PNG.
        let grey: [UInt8] = Array("P5\n8 2\n3\n".utf8) + [0, 1, 2, 3, 3, 2, 1, 0, 0, 0, 3, 3, 1, 1, 2, 2]
        try TestImages.write(grey, dir + "/g.pgm")
        try await netpbm("pnmtopng", [], input: dir + "/g.pgm", output: dir + "/g.png")
        let g = try TestImages.read(dir + "/g.png")
        #expect(try PNGDecoder.header(g).colorType == 0)
        let gi = try PNGDecoder.decode(g)
        #expect(gi[x: 1, y: 0] == (85, 85, 85))
        #expect(gi[x: 3, y: 0] == (255, 255, 255))
        // 16-bit RGB.
        let deep: [UInt8] = Array("P6\n2 1\n65535\n".utf8) + [0x12, 0x34, 0xAB, 0xCD, 0xFF, 0xFF, 0, 0, 0x80, 0x00, 0x01, 0x00]
        try TestImages.write(deep, dir + "/d.ppm")
        try await netpbm("pnmtopng", [], input: dir + "/d.ppm", output: dir + "/d.png")
        let d = try TestImages.read(dir + "/d.png")
        #expect(try PNGDecoder.header(d).bitDepth == 16)
        let di = try PNGDecoder.decode(d)
        #expect(di[x: 0, y: 0] == (0x12, 0xAB, 0xFF))
        #expect(di[x: 1, y: 0] == (0, 0x80, 0x01))
        // RGBA: an alpha mask (left pixel transparent) composites over white.
        try TestImages.write(Array("P6\n2 1\n255\n".utf8) + [10, 20, 30, 40, 50, 60], dir + "/a.ppm")
        try TestImages.write(Array("P5\n2 1\n255\n".utf8) + [0, 255], dir + "/mask.pgm")
        try await netpbm("pnmtopng", ["-alpha", dir + "/mask.pgm"], input: dir + "/a.ppm", output: dir + "/a.png")
        let ai = try PNGDecoder.decode(try TestImages.read(dir + "/a.png"))
        #expect(ai[x: 0, y: 0] == (255, 255, 255))
        #expect(ai[x: 1, y: 0] == (40, 50, 60))
    }
}

/// Byte search for the tests.
enum MultipartSearch {
    static func find(_ needle: [UInt8], in hay: [UInt8]) -> Int? {
        guard hay.count >= needle.count else { return nil }
        return (0...(hay.count - needle.count)).first { hay[$0..<($0 + needle.count)].elementsEqual(needle) }
    }
}
