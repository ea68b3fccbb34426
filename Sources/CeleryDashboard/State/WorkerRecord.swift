import Celery
import Foundation

/// A worker as seen through its events (`worker-online`, `worker-heartbeat`, `worker-offline`).
public struct WorkerRecord: Sendable, Hashable {
    /// Host name (`celery@host`).
    public var hostname: String
    /// Time of the latest event (seconds since 1970).
    public var lastSeen: Double
    /// Heartbeat interval it announced (seconds).
    public var freq: Double
    /// Tasks running at the latest heartbeat.
    public var active: Int
    /// Tasks processed so far (latest heartbeat).
    public var processed: Int
    /// Load average (1, 5, 15 minutes) when the worker sends it.
    public var loadavg: [Double]
    /// Software identity (`swift-celery`, `py-celery`).
    public var software: String
    /// Whether it said goodbye (`worker-offline`).
    public var saidOffline: Bool
    /// Failed tasks seen from this worker (events).
    public var failed: Int

    /// Whether it counts as online at `now`: it did not say goodbye and its last event is at
    /// most `grace` old, the grace being at least three heartbeat intervals (no flapping on
    /// one late heartbeat).
    public func isOnline(now: Double, grace: Double) -> Bool {
        !saidOffline && now - lastSeen <= max(grace, 3 * freq)
    }
}
