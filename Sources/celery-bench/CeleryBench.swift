import CeleryBench
import CeleryCommands

@main
enum CeleryBenchMain {
    static func main() async {
        // `--nio-executor` also applies to the in-process worker of a benchmark.
        installNIOExecutorIfRequested()
        await BenchCommand.main()
    }
}
