/// Aligned text tables for human output.
public enum TextTable {
    /// Renders rows under a header, columns padded to their widest cell.
    public static func render(_ header: [String], _ rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = (0..<header.count).map { i in all.map { i < $0.count ? $0[i].count : 0 }.max() ?? 0 }
        var out = ""
        for (n, row) in all.enumerated() {
            out += row.enumerated().map { $0.element.padding(widths[$0.offset]) }.joined(separator: "  ")
                .trimmingTrailingSpaces() + "\n"
            if n == 0 { out += widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n" }
        }
        return out
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var s = Substring(self)
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
