/// Walks the chunks of a PNG file after its signature, checking each length and CRC.
struct ChunkReader {
    /// One chunk: its four-letter type and its data.
    struct Chunk {
        var type: String
        var data: ArraySlice<UInt8>
    }

    private let bytes: [UInt8]
    private var offset: Int
    private var started = false

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        self.offset = PNGDecoder.signature.count
    }

    /// The next chunk, or `nil` at the end of the bytes.
    mutating func next() throws -> Chunk? {
        if !started {
            guard PNGDecoder.matches(bytes) else { throw WebAppError(.badImage, "not a PNG file (no PNG signature)") }
            started = true
        }
        guard offset < bytes.count else { return nil }
        guard bytes.count - offset >= 12 else { throw WebAppError(.badImage, "PNG is truncated inside a chunk header at byte \(offset)") }
        let length = Int(Self.be32(bytes, offset))
        guard length <= bytes.count - offset - 12 else { throw WebAppError(.badImage, "PNG chunk at byte \(offset) claims \(length) bytes; the file is truncated") }
        let typeBytes = bytes[(offset + 4)..<(offset + 8)]
        guard typeBytes.allSatisfy({ ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) }) else {
            throw WebAppError(.badImage, "PNG chunk at byte \(offset) has an invalid type")
        }
        let type = String(decoding: typeBytes, as: UTF8.self)
        let data = bytes[(offset + 8)..<(offset + 8 + length)]
        let stored = Self.be32(bytes, offset + 8 + length)
        let crc = Zlib.crc32(bytes[(offset + 4)..<(offset + 8 + length)])
        guard crc == stored else { throw WebAppError(.badImage, "PNG chunk \(type) at byte \(offset) has a bad CRC") }
        offset += 12 + length
        return Chunk(type: type, data: data)
    }

    /// A big-endian 32-bit number at `i`.
    static func be32(_ b: [UInt8], _ i: Int) -> UInt32 {
        UInt32(b[i]) << 24 | UInt32(b[i + 1]) << 16 | UInt32(b[i + 2]) << 8 | UInt32(b[i + 3])
    }
}

/// The seven passes of Adam7 interlacing.
enum Adam7 {
    /// Where one pass's pixels go: start and step in each direction, and its size.
    struct Pass {
        var x0: Int, y0: Int, dx: Int, dy: Int, width: Int, height: Int
    }

    static func passes(width: Int, height: Int) -> [Pass] {
        let spec = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
        return spec.map { x0, y0, dx, dy in
            Pass(x0: x0, y0: y0, dx: dx, dy: dy, width: max(0, (width - x0 + dx - 1) / dx), height: max(0, (height - y0 + dy - 1) / dy))
        }
    }
}
