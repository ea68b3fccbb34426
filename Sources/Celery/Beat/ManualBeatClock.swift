#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Synchronization

/// A fake clock: time only moves when told to, and ``sleep(for:)`` moves it (returning at
/// once), so a scheduler driven by it runs through days of ticks in milliseconds. The wall
/// clock can also be made to jump without moving monotonic time.
public final class ManualBeatClock: BeatClock {
    private struct State {
        var wall: Date
        var uptime: Duration = .zero
        var sleeps = 0
    }

    private let state: Mutex<State>

    /// A clock reading `start`.
    public init(start: Date) { state = Mutex(State(wall: start)) }

    public func now() -> Date { state.withLock { $0.wall } }
    public func uptime() -> Duration { state.withLock { $0.uptime } }

    /// Advances both clocks by `duration`, then yields once.
    public func sleep(for duration: Duration) async throws {
        try Task.checkCancellation()
        advance(by: duration)
        state.withLock { $0.sleeps += 1 }
        await Task.yield()
    }

    /// Number of ``sleep(for:)`` calls so far.
    public var sleeps: Int { state.withLock { $0.sleeps } }

    /// Moves wall and monotonic time forward.
    public func advance(by duration: Duration) {
        state.withLock {
            $0.wall = $0.wall.addingTimeInterval(duration.seconds)
            $0.uptime += duration
        }
    }

    /// Moves only the wall clock (forward or backward), as an NTP step or a manual change does.
    public func jumpWall(by seconds: Double) {
        state.withLock { $0.wall = $0.wall.addingTimeInterval(seconds) }
    }
}
