import CZlib

/// The few zlib calls the PNG codec needs (Debian's libz, through the `CZlib` system library).
enum Zlib {
    /// Inflates a zlib stream whose output must be exactly `expected` bytes; anything else
    /// (corrupt data, a truncated stream, more or less output) is a ``WebAppError/Kind/badImage``.
    static func inflate(_ data: [UInt8], expected: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: expected)
        var length = uLongf(expected)
        let status = data.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                uncompress(dst.baseAddress, &length, src.baseAddress, uLong(src.count))
            }
        }
        switch status {
        case Z_OK:
            guard Int(length) == expected else {
                throw WebAppError(.badImage, "PNG image data inflates to \(length) bytes, its header needs \(expected)")
            }
            return out
        case Z_BUF_ERROR:
            throw WebAppError(.badImage, "PNG image data is truncated or larger than its header says (\(expected) bytes)")
        case Z_MEM_ERROR:
            throw WebAppError(.tooLarge, "out of memory inflating PNG image data")
        default:
            throw WebAppError(.badImage, "PNG image data is not a valid zlib stream (zlib status \(status))")
        }
    }

    /// Deflates `data` as a zlib stream at `level` (0…9; default 6).
    static func deflate(_ data: [UInt8], level: Int32 = 6) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(compressBound(uLong(data.count))))
        var length = uLongf(out.count)
        let status = data.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                compress2(dst.baseAddress, &length, src.baseAddress, uLong(src.count), level)
            }
        }
        // compressBound guarantees room: only memory exhaustion fails here.
        guard status == Z_OK else { throw WebAppError(.io, "zlib could not compress \(data.count) bytes (status \(status))") }
        return Array(out.prefix(Int(length)))
    }

    /// CRC-32 (as PNG chunks use it) of the bytes, continuing from `crc`.
    static func crc32(_ bytes: ArraySlice<UInt8>, crc: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBufferPointer { b in UInt32(CZlib.crc32(uLong(crc), b.baseAddress, uInt(b.count))) }
    }
}
