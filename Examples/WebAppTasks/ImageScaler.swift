/// Scales images down by area averaging (a box filter with fractional edges): each output
/// pixel is the mean of the source area it covers, so an image made of uniform blocks that
/// the scale maps onto whole pixels keeps its exact colours. Never scales up.
public struct ImageScaler: Sendable {
    /// Longest side of the output, in pixels (default 128).
    public var maxSide: Int

    /// A scaler to at most `maxSide` pixels on the longer side.
    public init(maxSide: Int = 128) { self.maxSide = maxSide }

    /// The output size for a source size: the aspect ratio kept (rounded), each side at least 1.
    public func size(width: Int, height: Int) -> (width: Int, height: Int) {
        let longest = max(width, height)
        guard longest > maxSide else { return (width, height) }
        let w = max(1, Int((Double(width) * Double(maxSide) / Double(longest)).rounded()))
        let h = max(1, Int((Double(height) * Double(maxSide) / Double(longest)).rounded()))
        return (w, h)
    }

    /// Scales `image`, calling `progress(rowsDone, rowsTotal)` as output rows are finished
    /// (about every tenth of the rows and at the end).
    public func scale(_ image: RGBImage, progress: (Int, Int) async throws -> Void = { _, _ in }) async throws -> RGBImage {
        let (ow, oh) = size(width: image.width, height: image.height)
        let columns = Self.weights(source: image.width, target: ow)
        let rows = Self.weights(source: image.height, target: oh)
        // Horizontal pass: every source row to `ow` columns.
        var wide = [Float](repeating: 0, count: image.height * ow * 3)
        image.pixels.withUnsafeBufferPointer { src in
            for y in 0..<image.height {
                let s = y * image.width * 3
                let d = y * ow * 3
                for (ox, taps) in columns.enumerated() {
                    var r: Float = 0, g: Float = 0, b: Float = 0
                    for (x, w) in taps {
                        r += Float(src[s + x * 3]) * w
                        g += Float(src[s + x * 3 + 1]) * w
                        b += Float(src[s + x * 3 + 2]) * w
                    }
                    wide[d + ox * 3] = r
                    wide[d + ox * 3 + 1] = g
                    wide[d + ox * 3 + 2] = b
                }
            }
        }
        // Vertical pass, row by row with progress.
        var out = [UInt8](repeating: 0, count: ow * oh * 3)
        let step = max(1, oh / 10)
        for (oy, taps) in rows.enumerated() {
            for i in 0..<(ow * 3) {
                var v: Float = 0
                for (y, w) in taps { v += wide[y * ow * 3 + i] * w }
                out[oy * ow * 3 + i] = UInt8(max(0, min(255, v.rounded())))
            }
            if (oy + 1) % step == 0 || oy + 1 == oh {
                try await progress(oy + 1, oh)
            }
        }
        return try RGBImage(width: ow, height: oh, pixels: out)
    }

    /// For each target index, the source indices it covers and their weights (summing to 1).
    static func weights(source: Int, target: Int) -> [[(Int, Float)]] {
        let ratio = Double(source) / Double(target)
        return (0..<target).map { t in
            let start = Double(t) * ratio
            let end = Double(t + 1) * ratio
            var taps: [(Int, Float)] = []
            var s = Int(start)
            while Double(s) < end, s < source {
                let cover = min(end, Double(s + 1)) - max(start, Double(s))
                if cover > 1e-9 { taps.append((s, Float(cover / ratio))) }
                s += 1
            }
            return taps
        }
    }
}
