/// An 8-bit RGB image: `width × height` pixels, row-major, 3 bytes per pixel, no padding.
public struct RGBImage: Sendable, Hashable {
    /// Width in pixels (at least 1).
    public let width: Int
    /// Height in pixels (at least 1).
    public let height: Int
    /// `width * height * 3` bytes: R, G, B of each pixel, rows top to bottom.
    public private(set) var pixels: [UInt8]

    /// Largest accepted image: 40 megapixels (about 120 MB of RGB), so a small file that
    /// claims a huge size cannot exhaust memory.
    public static let maxPixels = 40_000_000

    /// An image from its pixel bytes; throws when the sizes do not match or exceed ``maxPixels``.
    public init(width: Int, height: Int, pixels: [UInt8]) throws {
        try Self.check(width: width, height: height)
        guard pixels.count == width * height * 3 else {
            throw WebAppError(.badImage, "\(width)×\(height) RGB needs \(width * height * 3) bytes, got \(pixels.count)")
        }
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// A `width × height` image filled by `color(x, y)`.
    public init(width: Int, height: Int, color: (Int, Int) -> (UInt8, UInt8, UInt8)) throws {
        try Self.check(width: width, height: height)
        var p = [UInt8]()
        p.reserveCapacity(width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let c = color(x, y)
                p.append(c.0)
                p.append(c.1)
                p.append(c.2)
            }
        }
        self.width = width
        self.height = height
        self.pixels = p
    }

    /// Rejects sizes that are empty or larger than ``maxPixels``.
    public static func check(width: Int, height: Int) throws {
        guard width >= 1, height >= 1 else { throw WebAppError(.badImage, "image size \(width)×\(height) is empty") }
        guard width <= maxPixels / height else {
            throw WebAppError(.tooLarge, "image of \(width)×\(height) pixels is larger than the limit of \(maxPixels) pixels")
        }
    }

    /// The pixel at column `x`, row `y` (both from 0).
    public subscript(x x: Int, y y: Int) -> (r: UInt8, g: UInt8, b: UInt8) {
        let i = (y * width + x) * 3
        return (pixels[i], pixels[i + 1], pixels[i + 2])
    }
}
