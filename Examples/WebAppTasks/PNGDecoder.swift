/// Reads PNG files (ISO/IEC 15948): every colour type (grey, RGB, palette, grey+alpha,
/// RGBA) at every bit depth (1, 2, 4, 8, 16), non-interlaced or Adam7, with all five row
/// filters and CRC checks. Alpha (and palette `tRNS`) is composited over white; 16-bit
/// samples keep their high byte. Ancillary chunks are skipped.
public enum PNGDecoder {
    /// The PNG file signature.
    static let signature: [UInt8] = [137, 80, 78, 71, 13, 10, 26, 10]

    /// Whether `bytes` start with the PNG signature.
    public static func matches(_ bytes: [UInt8]) -> Bool { bytes.starts(with: signature) }

    /// The `IHDR` fields.
    public struct Header: Sendable, Hashable {
        /// Size in pixels.
        public var width: Int, height: Int
        /// Bits per sample: 1, 2, 4, 8 or 16.
        public var bitDepth: Int
        /// 0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA.
        public var colorType: Int
        /// Whether rows are Adam7-interlaced.
        public var interlaced: Bool

        /// Samples per pixel for the colour type.
        var channels: Int { [0: 1, 2: 3, 3: 1, 4: 2, 6: 4][colorType] ?? 0 }
        /// Bits per pixel.
        var bitsPerPixel: Int { channels * bitDepth }
        /// Bytes of one unfiltered row of `w` pixels.
        func rowBytes(_ w: Int) -> Int { (w * bitsPerPixel + 7) / 8 }
    }

    /// Reads only the signature and `IHDR` (cheap: for validating an upload before queueing it).
    public static func header(_ bytes: [UInt8]) throws -> Header {
        var r = ChunkReader(bytes)
        guard let first = try r.next(), first.type == "IHDR" else { throw WebAppError(.badImage, "PNG does not start with an IHDR chunk") }
        return try parseHeader(first.data)
    }

    /// Decodes a PNG file to RGB.
    public static func decode(_ bytes: [UInt8]) throws -> RGBImage {
        var r = ChunkReader(bytes)
        guard let first = try r.next(), first.type == "IHDR" else { throw WebAppError(.badImage, "PNG does not start with an IHDR chunk") }
        let h = try parseHeader(first.data)
        var palette: [UInt8] = []
        var alpha: [UInt8] = []
        var idat: [UInt8] = []
        var ended = false
        while let c = try r.next() {
            switch c.type {
            case "PLTE":
                guard c.data.count % 3 == 0, c.data.count <= 768, !c.data.isEmpty else { throw WebAppError(.badImage, "PNG PLTE chunk of \(c.data.count) bytes") }
                palette = Array(c.data)
            case "tRNS": alpha = Array(c.data)
            case "IDAT": idat += c.data
            case "IEND": ended = true
            default:
                // An unknown critical chunk (upper-case first letter) changes how the image reads.
                if let f = c.type.utf8.first, f >= 65, f <= 90 { throw WebAppError(.unsupportedImage, "PNG critical chunk \(c.type) is not supported") }
            }
            if ended { break }
        }
        guard ended else { throw WebAppError(.badImage, "PNG is truncated (no IEND chunk)") }
        guard !idat.isEmpty else { throw WebAppError(.badImage, "PNG has no IDAT image data") }
        if h.colorType == 3 && palette.isEmpty { throw WebAppError(.badImage, "palette PNG without a PLTE chunk") }

        let passes = h.interlaced ? Adam7.passes(width: h.width, height: h.height) : [Adam7.Pass(x0: 0, y0: 0, dx: 1, dy: 1, width: h.width, height: h.height)]
        let expected = passes.reduce(0) { $0 + ($1.width == 0 ? 0 : $1.height * (1 + h.rowBytes($1.width))) }
        let raw = try Zlib.inflate(idat, expected: expected)
        var out = [UInt8](repeating: 255, count: h.width * h.height * 3)
        var offset = 0
        for p in passes where p.width > 0 && p.height > 0 {
            let rows = try unfilter(raw, at: offset, rows: p.height, rowBytes: h.rowBytes(p.width), bpp: max(1, h.bitsPerPixel / 8))
            offset += p.height * (1 + h.rowBytes(p.width))
            try scatter(rows, pass: p, header: h, palette: palette, alpha: alpha, into: &out, imageWidth: h.width)
        }
        return try RGBImage(width: h.width, height: h.height, pixels: out)
    }

    static func parseHeader(_ d: ArraySlice<UInt8>) throws -> Header {
        guard d.count == 13 else { throw WebAppError(.badImage, "PNG IHDR has \(d.count) bytes, not 13") }
        let b = Array(d)
        let w = Int(ChunkReader.be32(b, 0)), ht = Int(ChunkReader.be32(b, 4))
        let h = Header(width: w, height: ht, bitDepth: Int(b[8]), colorType: Int(b[9]), interlaced: b[12] == 1)
        let depths: [Int: Set<Int>] = [0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16]]
        guard let allowed = depths[h.colorType] else { throw WebAppError(.badImage, "PNG colour type \(h.colorType) does not exist") }
        guard allowed.contains(h.bitDepth) else { throw WebAppError(.badImage, "PNG bit depth \(h.bitDepth) is not allowed for colour type \(h.colorType)") }
        guard b[10] == 0, b[11] == 0 else { throw WebAppError(.unsupportedImage, "PNG compression method \(b[10]) / filter method \(b[11]) is not 0") }
        guard b[12] <= 1 else { throw WebAppError(.badImage, "PNG interlace method \(b[12]) does not exist") }
        try RGBImage.check(width: w, height: ht)
        return h
    }

    /// Undoes the row filters of `rows` filtered rows starting at `offset`; returns the raw rows back to back.
    static func unfilter(_ data: [UInt8], at offset: Int, rows: Int, rowBytes: Int, bpp: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: rows * rowBytes)
        try data.withUnsafeBufferPointer { src in
            try out.withUnsafeMutableBufferPointer { dst in
                for y in 0..<rows {
                    let f = src[offset + y * (rowBytes + 1)]
                    let s = offset + y * (rowBytes + 1) + 1
                    let d = y * rowBytes
                    let up = d - rowBytes
                    for x in 0..<rowBytes {
                        let a = x >= bpp ? Int(dst[d + x - bpp]) : 0
                        let b = y > 0 ? Int(dst[up + x]) : 0
                        let c = (x >= bpp && y > 0) ? Int(dst[up + x - bpp]) : 0
                        let v = Int(src[s + x])
                        switch f {
                        case 0: dst[d + x] = UInt8(v)
                        case 1: dst[d + x] = UInt8(truncatingIfNeeded: v + a)
                        case 2: dst[d + x] = UInt8(truncatingIfNeeded: v + b)
                        case 3: dst[d + x] = UInt8(truncatingIfNeeded: v + (a + b) / 2)
                        case 4: dst[d + x] = UInt8(truncatingIfNeeded: v + paeth(a, b, c))
                        default: throw WebAppError(.badImage, "PNG row \(y) has filter type \(f) (0…4 exist)")
                        }
                    }
                }
            }
        }
        return out
    }

    /// The Paeth predictor of the PNG specification.
    static func paeth(_ a: Int, _ b: Int, _ c: Int) -> Int {
        let p = a + b - c
        let pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
        if pa <= pb && pa <= pc { return a }
        return pb <= pc ? b : c
    }

    /// Converts a pass's raw rows to RGB over white and writes them where the pass puts them.
    static func scatter(_ rows: [UInt8], pass p: Adam7.Pass, header h: Header, palette: [UInt8], alpha: [UInt8], into out: inout [UInt8], imageWidth: Int) throws {
        let rb = h.rowBytes(p.width)
        let maxSample = (1 << h.bitDepth) - 1
        for y in 0..<p.height {
            let row = y * rb
            for x in 0..<p.width {
                // Sample `i` of pixel `x`, scaled to 0…255.
                func sample(_ i: Int) -> Int {
                    let n = x * h.channels + i
                    switch h.bitDepth {
                    case 16: return Int(rows[row + n * 2])
                    case 8: return Int(rows[row + n])
                    default:
                        let bit = n * h.bitDepth
                        let v = (Int(rows[row + bit / 8]) >> (8 - h.bitDepth - bit % 8)) & maxSample
                        return h.colorType == 3 ? v : v * 255 / maxSample
                    }
                }
                var r: Int, g: Int, b: Int, a = 255
                switch h.colorType {
                case 0: r = sample(0); g = r; b = r
                case 2: r = sample(0); g = sample(1); b = sample(2)
                case 3:
                    let i = sample(0)
                    guard i * 3 + 2 < palette.count else { throw WebAppError(.badImage, "PNG pixel uses palette entry \(i) of \(palette.count / 3)") }
                    r = Int(palette[i * 3]); g = Int(palette[i * 3 + 1]); b = Int(palette[i * 3 + 2])
                    if i < alpha.count { a = Int(alpha[i]) }
                case 4: r = sample(0); g = r; b = r; a = sample(1)
                default: r = sample(0); g = sample(1); b = sample(2); a = sample(3)
                }
                let o = ((p.y0 + y * p.dy) * imageWidth + p.x0 + x * p.dx) * 3
                if a == 255 {
                    out[o] = UInt8(r); out[o + 1] = UInt8(g); out[o + 2] = UInt8(b)
                } else {
                    let w = 255 * (255 - a)
                    out[o] = UInt8((r * a + w + 127) / 255); out[o + 1] = UInt8((g * a + w + 127) / 255); out[o + 2] = UInt8((b * a + w + 127) / 255)
                }
            }
        }
    }
}
