/// Number formatting without Foundation's `String(format:)`, so the library needs only
/// FoundationEssentials (the full Foundation and ICU would add ~6 MB to every worker's RSS).
package enum Format {
    /// `v` in decimal, left-padded with zeros to `width` characters, sign included (`%0<width>d`).
    package static func zeroPadded(_ v: some BinaryInteger, width: Int) -> String {
        let digits = String(v.magnitude)
        let sign = v < 0 ? "-" : ""
        return sign + String(repeating: "0", count: max(0, width - sign.count - digits.count)) + digits
    }

    /// Two lower-case hex digits (`%02x`).
    package static func hexByte(_ b: UInt8) -> String {
        String(decoding: [JSONWriter.hex[Int(b >> 4)], JSONWriter.hex[Int(b & 0x0f)]], as: UTF8.self)
    }

    /// Lower-case hex of every byte.
    package static func hex(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map(hexByte).joined()
    }

    /// `d` with exactly `places` decimals (0...15) as `%.<places>f` prints it: the exact binary
    /// value rounded half to even. Magnitudes from 1.8e19 up print as Swift's `description`.
    package static func fixed(_ d: Double, places: Int) -> String {
        if d.isNaN { return "nan" }
        if d.isInfinite { return d > 0 ? "inf" : "-inf" }
        let places = min(max(places, 0), 15)
        let mag = d.magnitude
        guard mag < 1.8e19 else { return String(d) }
        var whole = UInt64(mag.rounded(.down))
        let frac = mag - mag.rounded(.down)  // exact
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }  // exact for places <= 22
        let product = frac * scale
        let error = fmaResidual(frac, scale, product)
        var digits = product.rounded(.down)
        let rest = product - digits
        if rest > 0.5 || (rest == 0.5 && (error > 0 || (error == 0 && digits.truncatingRemainder(dividingBy: 2) == 1))) {
            digits += 1
        }
        if digits >= scale {
            digits -= scale
            whole += 1
        }
        let sign = d.sign == .minus ? "-" : ""
        if places == 0 { return sign + String(whole) }
        return sign + String(whole) + "." + zeroPadded(UInt64(digits), width: places)
    }

    /// The exact `a * b - product` (an FMA), so a product that rounded onto a tie can be decided.
    private static func fmaResidual(_ a: Double, _ b: Double, _ product: Double) -> Double {
        (-product).addingProduct(a, b)
    }
}
