import Foundation

/// The overview's chart, drawn on the server: succeeded and failed tasks per second over
/// the last hour, averaged over 10-second steps (360 points per line).
enum SVGChart {
    static let width = 720.0, height = 180.0, step = 10

    static func throughput(_ series: [(Int, Int, Int)]) -> String {
        var ok: [Double] = [], bad: [Double] = []
        var i = 0
        while i < series.count {
            let chunk = series[i..<min(i + step, series.count)]
            ok.append(Double(chunk.reduce(0) { $0 + $1.1 }) / Double(chunk.count))
            bad.append(Double(chunk.reduce(0) { $0 + $1.2 }) / Double(chunk.count))
            i += step
        }
        let peak = max(1, (ok + bad).max() ?? 1)
        let left = 44.0, bottom = 20.0, plotW = width - left - 8, plotH = height - bottom - 8
        func points(_ v: [Double]) -> String {
            v.enumerated().map { j, y in
                let px = left + plotW * Double(j) / Double(max(1, v.count - 1))
                let py = 8 + plotH * (1 - y / peak)
                return String(format: "%.1f,%.1f", px, py)
            }.joined(separator: " ")
        }
        let totalOk = series.reduce(0) { $0 + $1.1 }, totalBad = series.reduce(0) { $0 + $1.2 }
        return """
            <svg xmlns="http://www.w3.org/2000/svg" class="chart" id="throughput-chart" viewBox="0 0 \(Int(width)) \(Int(height))" role="img" aria-label="succeeded and failed per second, last hour">
            <rect x="\(left)" y="8" width="\(plotW)" height="\(plotH)" fill="#fafafa" stroke="#ddd"/>
            <text x="\(left - 4)" y="14" text-anchor="end" font-size="10">\(String(format: "%.1f", peak))/s</text>
            <text x="\(left - 4)" y="\(8 + plotH)" text-anchor="end" font-size="10">0</text>
            <text x="\(left)" y="\(height - 4)" font-size="10">−60 min</text>
            <text x="\(left + plotW)" y="\(height - 4)" text-anchor="end" font-size="10">now</text>
            <polyline fill="none" stroke="#2e8b57" stroke-width="1.5" points="\(points(ok))"/>
            <polyline fill="none" stroke="#c0392b" stroke-width="1.5" points="\(points(bad))"/>
            <text x="\(left + plotW / 2)" y="\(height - 4)" text-anchor="middle" font-size="11"><tspan fill="#2e8b57">succeeded \(totalOk)</tspan> · <tspan fill="#c0392b">failed \(totalBad)</tspan> (last hour)</text>
            </svg>
            """
    }
}
