/// Standard base64 (RFC 4648 alphabet, `=` padding) straight into and out of byte arrays, for
/// the message envelopes (kombu base64-encodes every body on Redis): no `Data`, no
/// intermediate `String`.
package enum Base64 {
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let values: [UInt8] = {
        var t = [UInt8](repeating: 0xff, count: 256)
        for (i, c) in alphabet.enumerated() { t[Int(c)] = UInt8(i) }
        return t
    }()

    /// Appends the encoding of `bytes` to `out`: the output is sized once and written
    /// through a pointer (no capacity check per byte).
    package static func encode(_ bytes: [UInt8], into out: inout [UInt8]) {
        let n = bytes.count
        guard n > 0 else { return }
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: (n + 2) / 3 * 4))
        alphabet.withUnsafeBufferPointer { a in
            bytes.withUnsafeBufferPointer { b in
                out.withUnsafeMutableBufferPointer { o in
                    var i = 0
                    var j = start
                    while i + 3 <= n {
                        let v = UInt32(b[i]) << 16 | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2])
                        o[j] = a[Int(v >> 18)]
                        o[j + 1] = a[Int(v >> 12 & 63)]
                        o[j + 2] = a[Int(v >> 6 & 63)]
                        o[j + 3] = a[Int(v & 63)]
                        i += 3
                        j += 4
                    }
                    switch n - i {
                    case 1:
                        let v = UInt32(b[i]) << 16
                        o[j] = a[Int(v >> 18)]
                        o[j + 1] = a[Int(v >> 12 & 63)]
                        o[j + 2] = 61
                        o[j + 3] = 61
                    case 2:
                        let v = UInt32(b[i]) << 16 | UInt32(b[i + 1]) << 8
                        o[j] = a[Int(v >> 18)]
                        o[j + 1] = a[Int(v >> 12 & 63)]
                        o[j + 2] = a[Int(v >> 6 & 63)]
                        o[j + 3] = 61
                    default:
                        break
                    }
                }
            }
        }
    }

    /// The encoding of `bytes` as a string.
    package static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        encode(bytes, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes padded standard base64; `nil` for anything else (wrong length, a character
    /// outside the alphabet, padding in the middle), as `Data(base64Encoded:)` does.
    package static func decode(_ text: String) -> [UInt8]? {
        var text = text
        return text.withUTF8 { decode(bytes: $0) }
    }

    package static func decode(bytes s: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        let n = s.count
        guard n % 4 == 0 else { return nil }
        if n == 0 { return [] }
        var pad = 0
        if s[n - 1] == 61 { pad += 1 }
        if s[n - 2] == 61 { pad += 1 }
        var out: [UInt8] = []
        out.reserveCapacity(n / 4 * 3 - pad)
        return values.withUnsafeBufferPointer { t -> [UInt8]? in
            var i = 0
            while i < n {
                let last = i + 4 == n
                let c0 = t[Int(s[i])], c1 = t[Int(s[i + 1])]
                let p2 = last && pad == 2, p3 = last && pad >= 1
                let c2 = p2 ? 0 : t[Int(s[i + 2])]
                let c3 = p3 ? 0 : t[Int(s[i + 3])]
                guard (c0 | c1 | c2 | c3) & 0xc0 == 0 else { return nil }
                let v = UInt32(c0) << 18 | UInt32(c1) << 12 | UInt32(c2) << 6 | UInt32(c3)
                out.append(UInt8(v >> 16))
                if !p2 { out.append(UInt8(v >> 8 & 0xff)) }
                if !p3 { out.append(UInt8(v & 0xff)) }
                i += 4
            }
            return out
        }
    }
}
