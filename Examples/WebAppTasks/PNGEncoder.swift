/// Writes 8-bit RGB PNG files (colour type 2, not interlaced). Each row takes the filter
/// with the smallest sum of absolute differences (the usual heuristic), then zlib deflates.
public enum PNGEncoder {
    /// The PNG bytes of an image.
    public static func encode(_ image: RGBImage, level: Int32 = 6) throws -> [UInt8] {
        let rowBytes = image.width * 3
        var filtered = [UInt8]()
        filtered.reserveCapacity(image.height * (rowBytes + 1))
        var candidate = [UInt8](repeating: 0, count: rowBytes)
        var best = [UInt8](repeating: 0, count: rowBytes)
        image.pixels.withUnsafeBufferPointer { px in
            for y in 0..<image.height {
                let row = y * rowBytes
                var bestType: UInt8 = 0
                var bestScore = Int.max
                for f in 0...4 {
                    var score = 0
                    for x in 0..<rowBytes {
                        let v = Int(px[row + x])
                        let a = x >= 3 ? Int(px[row + x - 3]) : 0
                        let b = y > 0 ? Int(px[row - rowBytes + x]) : 0
                        let c = (x >= 3 && y > 0) ? Int(px[row - rowBytes + x - 3]) : 0
                        let pred: Int
                        switch f {
                        case 0: pred = 0
                        case 1: pred = a
                        case 2: pred = b
                        case 3: pred = (a + b) / 2
                        default: pred = PNGDecoder.paeth(a, b, c)
                        }
                        let d = UInt8(truncatingIfNeeded: v - pred)
                        candidate[x] = d
                        score += d < 128 ? Int(d) : 256 - Int(d)
                    }
                    if score < bestScore {
                        bestScore = score
                        bestType = UInt8(f)
                        swap(&best, &candidate)
                    }
                }
                filtered.append(bestType)
                filtered += best
            }
        }
        var out = PNGDecoder.signature
        var ihdr = [UInt8]()
        ihdr += be32(UInt32(image.width))
        ihdr += be32(UInt32(image.height))
        ihdr += [8, 2, 0, 0, 0]
        chunk("IHDR", ihdr, into: &out)
        chunk("IDAT", try Zlib.deflate(filtered, level: level), into: &out)
        chunk("IEND", [], into: &out)
        return out
    }

    static func chunk(_ type: String, _ data: [UInt8], into out: inout [UInt8]) {
        out += be32(UInt32(data.count))
        let start = out.count
        out += Array(type.utf8)
        out += data
        out += be32(Zlib.crc32(out[start...]))
    }

    static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 255), UInt8(v >> 8 & 255), UInt8(v & 255)] }
}
