import Synchronization

/// Where beat keeps its ``BeatState``.
public protocol BeatStateStore: Sendable {
    /// Reads the state (empty when there is none yet).
    func load() throws -> BeatState
    /// Replaces the state durably.
    func save(_ state: BeatState) throws
}

/// Keeps the state in memory (tests, the memory soak, or when losing it is acceptable).
public final class InMemoryBeatStateStore: BeatStateStore {
    private let state: Mutex<(BeatState, Int)>

    /// Creates a store holding `initial`.
    public init(_ initial: BeatState = BeatState()) { state = Mutex((initial, 0)) }

    public func load() throws -> BeatState { state.withLock { $0.0 } }
    public func save(_ s: BeatState) throws { state.withLock { $0 = (s, $0.1 + 1) } }

    /// How many times ``save(_:)`` was called.
    public var saves: Int { state.withLock { $0.1 } }
}
