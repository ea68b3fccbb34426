#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One periodic job: which task to send, with what, where, and when.
///
/// ```swift
/// let e = BeatEntry(name: "heartbeat", task: "tasks.echo", args: ["tick"], schedule: .interval(.seconds(10)))
/// ```
public struct BeatEntry: Sendable, Hashable {
    /// Unique name; it keys the state file and names ticks (`<name>@<time>`).
    public var name: String
    /// Task name to send.
    public var task: String
    /// Positional arguments.
    public var args: [JSONValue]
    /// Keyword arguments.
    public var kwargs: [String: JSONValue]
    /// When it runs.
    public var schedule: BeatSchedule
    /// Where it goes; `nil` = the app's route for the task (default queue `celery`).
    public var route: Route?
    /// Each message expires this long after it is sent; `nil` = never.
    public var expires: Duration?
    /// Message priority; `nil` = the broker's default.
    public var priority: Int?
    /// Missed-tick policy for this entry; `nil` = ``BeatOptions/catchUp``.
    public var catchUp: CatchUpPolicy?

    /// Creates an entry.
    public init(
        name: String, task: String, args: [JSONValue] = [], kwargs: [String: JSONValue] = [:], schedule: BeatSchedule,
        route: Route? = nil, expires: Duration? = nil, priority: Int? = nil, catchUp: CatchUpPolicy? = nil
    ) {
        self.name = name
        self.task = task
        self.args = args
        self.kwargs = kwargs
        self.schedule = schedule
        self.route = route
        self.expires = expires
        self.priority = priority
        self.catchUp = catchUp
    }
}
