import CeleryCommands

@main
enum CeleryBenchMain {
    static func main() async { await BenchCommand.main() }
}
