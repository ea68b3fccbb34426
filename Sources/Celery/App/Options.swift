#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// How a task retries after an error it throws (Celery's `autoretry_for` + `retry_backoff`).
public struct RetryPolicy: Sendable {
    /// Retries after the first run; then the error is stored as FAILURE. Default 3.
    public var maxRetries: Int
    /// Delay before the first retry. Default 1 s.
    public var initialDelay: Duration
    /// Factor applied to the delay after each retry (exponential backoff). Default 2.
    public var multiplier: Double
    /// Upper bound for one delay. Default 10 min (Celery's `retry_backoff_max`).
    public var maxDelay: Duration
    /// Whether a random part (full jitter, 50–100 % of the delay) is applied. Default true.
    public var jitter: Bool
    /// Which errors are retried; default: every error.
    public var retryIf: @Sendable (any Error) -> Bool

    public init(
        maxRetries: Int = 3, initialDelay: Duration = .seconds(1), multiplier: Double = 2,
        maxDelay: Duration = .seconds(600), jitter: Bool = true,
        retryIf: @escaping @Sendable (any Error) -> Bool = { _ in true }
    ) {
        self.maxRetries = maxRetries
        self.initialDelay = initialDelay
        self.multiplier = multiplier
        self.maxDelay = maxDelay
        self.jitter = jitter
        self.retryIf = retryIf
    }

    /// The backoff these retries follow.
    public var backoff: Backoff { Backoff(initial: initialDelay, multiplier: multiplier, maximum: maxDelay, jitter: jitter) }

    /// The delay before retry number `retries + 1` (0-based `retries`).
    public func delay(afterRetries retries: Int) -> Duration { backoff.delay(attempt: retries) }
}

/// Per-task settings given at registration.
public struct TaskOptions: Sendable {
    /// Where calls go unless the call or the app's routes say otherwise; `nil` = app default.
    public var route: Route?
    /// Automatic retries on error; `nil` = none (the task may still call `retry`).
    public var retryPolicy: RetryPolicy?
    /// Soft time limit: the task is cancelled and stored as FAILURE (`SoftTimeLimitExceeded`).
    public var softTimeLimit: Duration?
    /// Hard time limit: the worker stops waiting and stores FAILURE (`TimeLimitExceeded`).
    public var hardTimeLimit: Duration?
    /// Do not store results of this task.
    public var ignoreResult: Bool
    /// Acknowledge after the result is stored (`true`), before running (`false`), or use the
    /// worker's setting (`nil`, default).
    public var acksLate: Bool?
    /// Store STARTED when the task starts (`true`), not (`false`), or use the worker's
    /// setting (`nil`, default); Celery's `track_started`.
    public var trackStarted: Bool? = nil
    /// Parameter names, so keyword arguments can be matched to positions; `nil` = positional only.
    public var parameterNames: [String]?
    /// The body blocks its thread (synchronous I/O, `sleep`, long CPU work): run it on
    /// ``ThreadPoolTaskExecutor/blocking`` instead of the executor that received the message, which
    /// must never block. Default `false` (the body is `async` and only suspends).
    public var blocking: Bool = false

    public init(
        route: Route? = nil, retryPolicy: RetryPolicy? = nil, softTimeLimit: Duration? = nil,
        hardTimeLimit: Duration? = nil, ignoreResult: Bool = false, acksLate: Bool? = nil,
        parameterNames: [String]? = nil, blocking: Bool = false
    ) {
        self.blocking = blocking
        self.route = route
        self.retryPolicy = retryPolicy
        self.softTimeLimit = softTimeLimit
        self.hardTimeLimit = hardTimeLimit
        self.ignoreResult = ignoreResult
        self.acksLate = acksLate
        self.parameterNames = parameterNames
    }
}

/// Options for one call (Celery's `apply_async` options).
public struct CallOptions: Sendable {
    /// Use this task id instead of a new UUID.
    public var taskId: String?
    /// Run no earlier than this long from now (becomes the `eta` header).
    public var countdown: Duration?
    /// Run no earlier than this time.
    public var eta: Date?
    /// Revoke instead of running after this time.
    public var expires: Date?
    /// Route for this call: `.queue(name)` or `.broadcast(name)`.
    public var route: Route?
    /// Message priority.
    public var priority: Int?
    /// Soft time limit for this call.
    public var softTimeLimit: Duration?
    /// Hard time limit for this call.
    public var hardTimeLimit: Duration?
    /// Do not store the result.
    public var ignoreResult: Bool?
    /// Retries of the *publish* on connection errors (Celery's `retry_policy`); default 3
    /// attempts, 0.2 s apart, growing.
    public var publishRetry: RetryPolicy?
    /// Extra headers to send.
    public var headers: [String: JSONValue]
    /// Parent task id (set automatically for calls made from inside a task).
    public var parentId: String?
    /// Root task id.
    public var rootId: String?

    public init(
        taskId: String? = nil, countdown: Duration? = nil, eta: Date? = nil, expires: Date? = nil, route: Route? = nil,
        priority: Int? = nil, softTimeLimit: Duration? = nil, hardTimeLimit: Duration? = nil,
        ignoreResult: Bool? = nil, publishRetry: RetryPolicy? = RetryPolicy(maxRetries: 3, initialDelay: .milliseconds(200), jitter: false),
        headers: [String: JSONValue] = [:], parentId: String? = nil, rootId: String? = nil
    ) {
        self.taskId = taskId
        self.countdown = countdown
        self.eta = eta
        self.expires = expires
        self.route = route
        self.priority = priority
        self.softTimeLimit = softTimeLimit
        self.hardTimeLimit = hardTimeLimit
        self.ignoreResult = ignoreResult
        self.publishRetry = publishRetry
        self.headers = headers
        self.parentId = parentId
        self.rootId = rootId
    }

    /// Expire this long from now.
    public static func expiring(in d: Duration) -> Date { Date().addingTimeInterval(d.seconds) }
}

/// App-wide settings.
public struct CeleryConfiguration: Sendable {
    /// Route for tasks with no other route. Default `.queue("celery")`.
    public var defaultRoute: Route
    /// Routes by task name (Celery's `task_routes`).
    public var routes: [String: Route]
    /// Store name, args, kwargs, worker, retries and queue with results (`result_extended`). Default true.
    public var resultExtended: Bool
    /// Delay of `retry()` without an explicit delay. Default 180 s (Celery's default).
    public var defaultRetryDelay: Duration
    /// Maximum retries of `retry()` without an explicit limit. Default 3.
    public var defaultMaxRetries: Int

    public init(
        defaultRoute: Route = .default, routes: [String: Route] = [:], resultExtended: Bool = true,
        defaultRetryDelay: Duration = .seconds(180), defaultMaxRetries: Int = 3
    ) {
        self.defaultRoute = defaultRoute
        self.routes = routes
        self.resultExtended = resultExtended
        self.defaultRetryDelay = defaultRetryDelay
        self.defaultMaxRetries = defaultMaxRetries
    }
}

extension Duration {
    /// The duration in seconds as a `Double`.
    public var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }

    /// A duration from seconds given as a `Double`.
    public static func seconds(double s: Double) -> Duration { .nanoseconds(Int64((s * 1e9).rounded())) }
}
