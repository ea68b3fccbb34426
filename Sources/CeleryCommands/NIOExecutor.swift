import NIOCore
import NIOPosix

/// Makes SwiftNIO's event loops Swift concurrency's global executor when `arguments` ask for it
/// (`--nio-executor`), so a task resumed by I/O runs on the thread that read the reply instead of
/// hopping to the cooperative pool. Call it first thing in `main`, before any other task starts
/// (the `celery-worker` executable does); returns whether the executor was installed.
@discardableResult
public func installNIOExecutorIfRequested(arguments: [String] = CommandLine.arguments) -> Bool {
    guard arguments.contains("--nio-executor") else { return false }
    return NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
}
