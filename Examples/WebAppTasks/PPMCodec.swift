/// Netpbm binary images: reads P6 (RGB) and P5 (grey), maxval 1…65535 (16-bit samples
/// scaled to 8 bits), with `#` comments in the header; writes P6 with maxval 255.
public enum PPMCodec {
    /// Whether `bytes` start like a binary PPM or PGM (`P6`/`P5` and whitespace).
    public static func matches(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 3 && bytes[0] == UInt8(ascii: "P") && (bytes[1] == UInt8(ascii: "6") || bytes[1] == UInt8(ascii: "5"))
            && isSpace(bytes[2])
    }

    /// The header of a P6/P5 file: size, maxval and where the samples start.
    public struct Header: Sendable, Hashable {
        /// Width and height in pixels.
        public var width: Int, height: Int
        /// Largest sample value (1…65535).
        public var maxval: Int
        /// Samples per pixel: 3 for P6, 1 for P5.
        public var channels: Int
        /// Offset of the first sample byte.
        public var dataOffset: Int
    }

    /// Parses and checks the header (no samples read).
    public static func header(_ bytes: [UInt8]) throws -> Header {
        guard matches(bytes) else { throw WebAppError(.badImage, "not a binary PPM/PGM file (no P6 or P5 magic)") }
        var i = 2
        func number(_ what: String) throws -> Int {
            // Skip whitespace and comments, then read decimal digits.
            while i < bytes.count {
                if isSpace(bytes[i]) {
                    i += 1
                } else if bytes[i] == UInt8(ascii: "#") {
                    while i < bytes.count, bytes[i] != 10, bytes[i] != 13 { i += 1 }
                } else {
                    break
                }
            }
            var v = 0
            var digits = 0
            while i < bytes.count, bytes[i] >= 48, bytes[i] <= 57 {
                v = v * 10 + Int(bytes[i] - 48)
                digits += 1
                i += 1
                guard digits <= 9 else { throw WebAppError(.badImage, "PPM \(what) has too many digits") }
            }
            guard digits > 0 else { throw WebAppError(.badImage, "PPM header: expected the \(what), found \(i < bytes.count ? "byte \(bytes[i])" : "the end of the file")") }
            return v
        }
        let width = try number("width")
        let height = try number("height")
        let maxval = try number("maxval")
        guard i < bytes.count, isSpace(bytes[i]) else { throw WebAppError(.badImage, "PPM header: no whitespace after the maxval") }
        i += 1
        guard (1...65535).contains(maxval) else { throw WebAppError(.badImage, "PPM maxval \(maxval) is outside 1…65535") }
        try RGBImage.check(width: width, height: height)
        return Header(width: width, height: height, maxval: maxval, channels: bytes[1] == UInt8(ascii: "6") ? 3 : 1, dataOffset: i)
    }

    /// Decodes a P6 or P5 file to RGB.
    public static func decode(_ bytes: [UInt8]) throws -> RGBImage {
        let h = try header(bytes)
        let sampleBytes = h.maxval > 255 ? 2 : 1
        let need = h.width * h.height * h.channels * sampleBytes
        guard bytes.count - h.dataOffset >= need else {
            throw WebAppError(.badImage, "PPM data truncated: \(h.width)×\(h.height) needs \(need) bytes of samples, the file has \(bytes.count - h.dataOffset)")
        }
        var out = [UInt8](repeating: 0, count: h.width * h.height * 3)
        let pixels = h.width * h.height
        bytes.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                var s = h.dataOffset
                for p in 0..<pixels {
                    for c in 0..<h.channels {
                        var v: Int
                        if sampleBytes == 2 {
                            v = Int(src[s]) << 8 | Int(src[s + 1])
                            s += 2
                        } else {
                            v = Int(src[s])
                            s += 1
                        }
                        v = min(v, h.maxval)
                        let b = h.maxval == 255 ? UInt8(v) : UInt8((v * 255 + h.maxval / 2) / h.maxval)
                        if h.channels == 3 { dst[p * 3 + c] = b } else { dst[p * 3] = b; dst[p * 3 + 1] = b; dst[p * 3 + 2] = b }
                    }
                }
            }
        }
        return try RGBImage(width: h.width, height: h.height, pixels: out)
    }

    /// Encodes an image as P6 with maxval 255.
    public static func encode(_ image: RGBImage) -> [UInt8] {
        Array("P6\n\(image.width) \(image.height)\n255\n".utf8) + image.pixels
    }

    static func isSpace(_ b: UInt8) -> Bool { b == 32 || b == 9 || b == 10 || b == 13 || b == 11 || b == 12 }
}
