/// A result backend that joins chords itself (Celery's native join), so no
/// `celery.chord_unlock` task polls for the header. Backends without it get
/// `celery.chord_unlock`, exactly as Python Celery sends it.
///
/// The client calls ``applyChord(groupId:header:body:)`` before sending the header and
/// ``setChordSize(groupId:size:)`` just before the last header message; the worker calls
/// ``chordPartReturned(groupId:taskId:groupIndex:state:result:)`` when a header member is
/// ready, and, when that returns a join, sends (or fails) the body and calls
/// ``chordFinished(groupId:join:)``.
public protocol ChordJoiningBackend: ResultBackend {
    /// Prepares a chord; returns `true` when this backend joins it (no `chord_unlock` needed).
    func applyChord(groupId: String, header: ResultTuple, body: Signature) async throws -> Bool

    /// Records how many header completions the chord waits for.
    func setChordSize(groupId: String, size: Int) async throws

    /// Records a ready header member (counted once however often it runs). Returns the
    /// members' states and results in header order when this member completed the chord and
    /// this caller won the right to send the body; `nil` otherwise.
    func chordPartReturned(groupId: String, taskId: String, groupIndex: Int?, state: TaskState, result: JSONValue) async throws
        -> ChordJoin?

    /// Removes the chord's bookkeeping after the body was sent or failed.
    func chordFinished(groupId: String, join: ChordJoin) async throws
}

/// The header's outcome, handed to the member that completed a chord.
public struct ChordJoin: Sendable {
    /// One header member's outcome.
    public struct Part: Sendable, Hashable {
        /// The member's task id.
        public var taskId: String
        /// SUCCESS, FAILURE or REVOKED.
        public var state: TaskState
        /// The value, or the exception info for FAILURE/REVOKED.
        public var result: JSONValue

        public init(taskId: String, state: TaskState, result: JSONValue) {
            self.taskId = taskId
            self.state = state
            self.result = result
        }
    }

    /// Members in header order.
    public var parts: [Part]
    /// The backend's claim on sending the body (released by ``ChordJoiningBackend/chordFinished(groupId:join:)``).
    public var claim: String

    public init(parts: [Part], claim: String) {
        self.parts = parts
        self.claim = claim
    }

    /// The first member that failed or was revoked.
    public var firstFailure: Part? { parts.first { $0.state == .failure || $0.state == .revoked } }
}
