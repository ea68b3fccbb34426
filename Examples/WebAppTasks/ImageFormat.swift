import Foundation

/// The image formats the example reads and writes.
public enum ImageFormat: String, Sendable, Hashable, CaseIterable {
    /// PNG (read: every standard variant; written: 8-bit RGB).
    case png
    /// Binary Netpbm (read: P6 and P5; written: P6).
    case ppm

    /// The MIME type served for it.
    public var contentType: String { self == .png ? "image/png" : "image/x-portable-pixmap" }
    /// The file extension written.
    public var fileExtension: String { rawValue }

    /// The format of `bytes` by their magic number, or `nil`.
    public static func sniff(_ bytes: [UInt8]) -> ImageFormat? {
        if PNGDecoder.matches(bytes) { return .png }
        if PPMCodec.matches(bytes) { return .ppm }
        return nil
    }

    /// The format named by a MIME type (`image/png`, `image/x-portable-pixmap`, …) or `nil`.
    public init?(contentType: String) {
        let t = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        switch t {
        case "image/png": self = .png
        case "image/x-portable-pixmap", "image/x-portable-anymap", "image/x-portable-graymap", "image/ppm": self = .ppm
        default: return nil
        }
    }

    /// Checks the magic number and header of an upload without decoding it; returns its
    /// format and size. Throws a ``WebAppError`` that says what is wrong.
    public static func inspect(_ bytes: [UInt8]) throws -> (format: ImageFormat, width: Int, height: Int) {
        switch sniff(bytes) {
        case .png?:
            let h = try PNGDecoder.header(bytes)
            return (.png, h.width, h.height)
        case .ppm?:
            let h = try PPMCodec.header(bytes)
            return (.ppm, h.width, h.height)
        case nil:
            throw WebAppError(.unsupportedImage, "not a PNG or binary PPM/PGM image (first bytes \(bytes.prefix(8).map { String($0, radix: 16) }.joined(separator: " ")))")
        }
    }

    /// Decodes an image of either format (found by its magic number).
    public static func decode(_ bytes: [UInt8]) throws -> RGBImage {
        switch try inspect(bytes).format {
        case .png: return try PNGDecoder.decode(bytes)
        case .ppm: return try PPMCodec.decode(bytes)
        }
    }

    /// Encodes an image in this format.
    public func encode(_ image: RGBImage) throws -> [UInt8] {
        switch self {
        case .png: return try PNGEncoder.encode(image)
        case .ppm: return PPMCodec.encode(image)
        }
    }
}
