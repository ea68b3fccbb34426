/// The parts of a `multipart/form-data` body (RFC 7578): each part's field name, file name,
/// content type and bytes. Enough for a browser's file upload; nested multiparts are not read.
struct MultipartBody {
    /// One part.
    struct Part {
        var name: String?
        var filename: String?
        var contentType: String?
        var data: ArraySlice<UInt8>
    }

    /// The boundary from a `Content-Type: multipart/form-data; boundary=…` value, or `nil`.
    static func boundary(contentType: String) -> String? {
        guard contentType.lowercased().hasPrefix("multipart/form-data") else { return nil }
        for param in contentType.split(separator: ";").dropFirst() {
            let kv = param.split(separator: "=", maxSplits: 1)
            guard kv.count == 2, kv[0].trimmingCharacters(in: .whitespaces).lowercased() == "boundary" else { continue }
            var b = kv[1].trimmingCharacters(in: .whitespaces)
            if b.hasPrefix("\""), b.hasSuffix("\""), b.count >= 2 { b = String(b.dropFirst().dropLast()) }
            return b.isEmpty || b.utf8.count > 70 ? nil : b
        }
        return nil
    }

    /// Splits `body` at `--boundary` lines; throws a readable message when it is malformed.
    static func parse(_ body: [UInt8], boundary: String) throws -> [Part] {
        let delimiter = Array("--\(boundary)".utf8)
        var parts: [Part] = []
        guard var at = find(delimiter, in: body, from: 0) else { throw WebAppHTTPError(400, "multipart body without its boundary") }
        while true {
            at += delimiter.count
            if body[at...].starts(with: Array("--".utf8)) { return parts }  // the closing delimiter
            guard body[at...].starts(with: [13, 10]) else { throw WebAppHTTPError(400, "multipart boundary not followed by CRLF") }
            at += 2
            // A part without header fields starts with the blank line (RFC 2046 §5.1.1).
            let noHeaders = body[at...].starts(with: [13, 10])
            guard let headerEnd = noHeaders ? at - 2 : find([13, 10, 13, 10], in: body, from: at) else {
                throw WebAppHTTPError(400, "multipart part without the end of its headers")
            }
            var part = Part(data: [])
            for line in String(decoding: body[at..<max(at, headerEnd)], as: UTF8.self).components(separatedBy: "\r\n") {
                guard let colon = line.firstIndex(of: ":") else { continue }
                let name = line[..<colon].lowercased()
                let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                if name == "content-type" { part.contentType = value }
                if name == "content-disposition" {
                    part.name = parameter("name", in: value)
                    part.filename = parameter("filename", in: value)
                }
            }
            let dataStart = headerEnd + 4
            guard let next = find([13, 10] + delimiter, in: body, from: dataStart) else { throw WebAppHTTPError(400, "multipart part is not closed by the boundary") }
            part.data = body[dataStart..<next]
            parts.append(part)
            at = next + 2
        }
    }

    /// `name="value"` from a `Content-Disposition` value.
    static func parameter(_ key: String, in header: String) -> String? {
        for p in header.split(separator: ";").dropFirst() {
            let kv = p.split(separator: "=", maxSplits: 1)
            guard kv.count == 2, kv[0].trimmingCharacters(in: .whitespaces).lowercased() == key else { continue }
            let v = kv[1].trimmingCharacters(in: .whitespaces)
            return v.hasPrefix("\"") && v.hasSuffix("\"") && v.count >= 2 ? String(v.dropFirst().dropLast()) : v
        }
        return nil
    }

    /// The first index of `needle` in `hay` at or after `from`.
    static func find(_ needle: [UInt8], in hay: [UInt8], from: Int) -> Int? {
        guard !needle.isEmpty, hay.count >= needle.count, from <= hay.count - needle.count else { return nil }
        let first = needle[0]
        var i = from
        while i <= hay.count - needle.count {
            if hay[i] == first && hay[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }
}
