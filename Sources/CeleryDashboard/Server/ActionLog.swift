import Foundation
import Logging
import Synchronization

/// The latest actions taken through the dashboard (who, what, outcome), also written to
/// the log at notice level. Bounded to ``limit`` entries.
final class ActionLog: Sendable {
    struct Entry: Sendable {
        var at: Date
        var action: String
        var detail: String
        var outcome: String
        var by: String
    }
    static let limit = 200
    private let entries = Mutex<[Entry]>([])
    let logger: Logger

    init(logger: Logger) { self.logger = logger }

    func record(_ action: String, _ detail: String, outcome: String, by: String) {
        logger.notice("action \(action) \(detail): \(outcome)", metadata: ["by": .string(by)])
        entries.withLock { e in
            e.append(Entry(at: Date(), action: action, detail: detail, outcome: outcome, by: by))
            if e.count > Self.limit { e.removeFirst(e.count - Self.limit) }
        }
    }

    /// Newest first.
    var recent: [Entry] { entries.withLock { $0.reversed() } }
}
