import CeleryBench

@main
enum CeleryDemoMain {
    static func main() async { await DemoCommand.main() }
}
