import Celery
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Startup banners in Celery's spirit. URLs are shown with passwords masked.
public enum Banner {
    /// The package version.
    public static let version = "0.1.0"

    /// The worker banner.
    public static func worker(app: Celery, options: WorkerOptions, events: Bool, nioExecutor: Bool = false) -> String {
        let now = CeleryDate.format(Date())
        var lines = [
            " -------------- \(options.hostname) v\(version) (swift-celery)",
            "--- ***** ----- ",
            "-- ******* ---- Linux \(ProcessInfo.processInfo.operatingSystemVersionString) \(now)",
            "- *** --- * --- ",
            "- ** ---------- [config]",
            "- ** ---------- .> app:         \(app.name)",
            "- ** ---------- .> transport:   \(app.broker.displayURL)",
            "- ** ---------- .> results:     \(app.backend?.displayURL ?? "disabled://")",
            "- *** --- * --- .> concurrency: \(options.concurrency) (swift tasks\(nioExecutor ? " on the NIO event loops" : "")), prefetch \(options.prefetch)",
            "-- ******* ---- .> acks:        \(options.acksLate ? "late (at-least-once)" : "early (at-most-once)"), max deliveries \(options.maxDeliveries)",
            "--- ***** ----- .> task events: \(events ? "ON" : "OFF")",
            " -------------- [queues]",
        ]
        for q in options.queues { lines.append("                .> \(q.padding(16)) mode=queue      exchange=\(q)(direct) key=\(q)") }
        for b in options.broadcasts { lines.append("                .> \(b.padding(16)) mode=broadcast  exchange=\(b)(fanout)") }
        lines.append("")
        lines.append("[tasks]")
        for t in app.registeredTaskNames { lines.append("  . \(t)") }
        lines.append("")
        return lines.joined(separator: "\n")
    }
}

extension String {
    /// The string padded with spaces to `width` characters (never cut).
    package func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}
