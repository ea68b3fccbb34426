#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Terminal tables, JSON and a self-contained HTML page with SVG charts.
public enum ReportRendering {
    /// Aligned tables, one per scenario, each followed by its conclusion.
    public static func table(_ report: DemoReport) -> String {
        var out = "Transport: \(report.transport)\n"
        var seen: [String] = []
        for r in report.scenarios where !seen.contains(r.name) { seen.append(r.name) }
        for name in seen {
            let rows = report.scenarios.filter { $0.name == name }
            out += "\n[\(name)]\n"
            let header = ["mode", "variant", "consumers", "sent", "received per consumer", "total", "lost", "dup", "redeliv", "p50 ms", "p99 ms", "msg/s"]
            var lines = [header]
            for r in rows {
                lines.append([
                    r.mode, r.variant ?? "", String(r.consumers), String(r.sent), r.receivedPerConsumer.map(String.init).joined(separator: " / "),
                    String(r.receivedTotal), r.lost.map(String.init) ?? "-", r.duplicates.map(String.init) ?? "-",
                    r.redelivered.map(String.init) ?? "-", Conclusions.format(r.p50Ms), Conclusions.format(r.p99Ms),
                    r.throughputPerS.map { String(Int($0)) } ?? "-",
                ])
            }
            let widths = (0..<header.count).map { i in lines.map { $0[i].count }.max() ?? 0 }
            for (n, l) in lines.enumerated() {
                out += "  " + l.enumerated().map { $0.element.padding(widths[$0.offset]) }.joined(separator: "  ") + "\n"
                if n == 0 { out += "  " + widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n" }
            }
            if let c = report.conclusions[name] { out += "  => \(c)\n" }
        }
        return out
    }

    /// The report as one JSON document.
    public static func json(_ report: DemoReport) throws -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try e.encode(report), as: UTF8.self)
    }

    static func escape(_ s: String) -> String {
        s.replacing("&", with: "&amp;").replacing("<", with: "&lt;").replacing(">", with: "&gt;")
    }

    /// A self-contained HTML page: per scenario a bar chart (SVG) of received per consumer
    /// and lost, per mode, and the conclusion.
    public static func html(_ report: DemoReport) -> String {
        var body = ""
        var seen: [String] = []
        for r in report.scenarios where !seen.contains(r.name) { seen.append(r.name) }
        for name in seen {
            let rows = report.scenarios.filter { $0.name == name }
            body += "<section><h2>\(escape(name))</h2>\n"
            var bars: [(String, Int, String)] = []
            for r in rows {
                let label = r.mode + (r.variant.map { " (\($0))" } ?? "")
                for (i, c) in r.receivedPerConsumer.enumerated() { bars.append(("\(label) c\(i)", c, r.mode == "broadcast" ? "#e07b39" : "#3979e0")) }
                if let lost = r.lost, lost > 0 { bars.append(("\(label) lost", lost, "#c0392b")) }
            }
            let maxV = max(1, bars.map(\.1).max() ?? 1)
            let h = 22 * bars.count + 10
            body += "<svg width=\"720\" height=\"\(h)\" role=\"img\">"
            for (i, bar) in bars.enumerated() {
                let w = Int(Double(bar.1) / Double(maxV) * 420)
                let y = 5 + i * 22
                body += "<text x=\"0\" y=\"\(y + 14)\" font-size=\"12\">\(escape(bar.0))</text>"
                body += "<rect x=\"220\" y=\"\(y)\" width=\"\(max(w, 1))\" height=\"16\" fill=\"\(bar.2)\"/>"
                body += "<text x=\"\(226 + w)\" y=\"\(y + 13)\" font-size=\"12\">\(bar.1)</text>"
            }
            body += "</svg>\n<table><tr><th>mode</th><th>variant</th><th>sent</th><th>received</th><th>lost</th><th>dup</th><th>redelivered</th><th>p50 ms</th><th>p99 ms</th><th>msg/s</th></tr>"
            for r in rows {
                body += "<tr><td>\(r.mode)</td><td>\(escape(r.variant ?? ""))</td><td>\(r.sent)</td><td>\(r.receivedPerConsumer.map(String.init).joined(separator: " / "))</td>"
                body += "<td>\(r.lost.map(String.init) ?? "-")</td><td>\(r.duplicates.map(String.init) ?? "-")</td><td>\(r.redelivered.map(String.init) ?? "-")</td>"
                body += "<td>\(Conclusions.format(r.p50Ms))</td><td>\(Conclusions.format(r.p99Ms))</td><td>\(r.throughputPerS.map { String(Int($0)) } ?? "-")</td></tr>"
            }
            body += "</table>\n"
            if let c = report.conclusions[name] { body += "<p class=\"c\">\(escape(c))</p>\n" }
            body += "</section>\n"
        }
        return """
            <!doctype html><html><head><meta charset="utf-8"><title>swift-celery: broadcast vs queue</title>
            <style>body{font-family:sans-serif;max-width:60em;margin:2em auto}table{border-collapse:collapse;margin:.5em 0}
            td,th{border:1px solid #ccc;padding:2px 8px;font-size:13px}.c{background:#f4f4f4;padding:.5em}</style></head><body>
            <h1>Broadcast (pub/sub) vs queue (competing consumers)</h1><p>Transport: \(escape(report.transport)).
            Orange: broadcast; blue: queue; red: lost.</p>
            \(body)</body></html>
            """
    }
}
