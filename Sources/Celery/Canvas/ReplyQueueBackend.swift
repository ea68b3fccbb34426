/// A result backend that delivers each result as a message to the caller's own queue
/// (Celery's `rpc://`): clients put ``replyQueue`` in each message's `reply_to`, workers
/// send the result there (``TaskMeta/replyTo`` names it).
public protocol ReplyQueueBackend: ResultBackend {
    /// The queue this client receives its results on.
    var replyQueue: String { get }
}
