import CeleryCommands

/// `celery-beat`: the periodic scheduler.
@main
enum CeleryBeatMain {
    static func main() async {
        await BeatCommand.main(BeatCommand.normalize(Array(CommandLine.arguments.dropFirst())))
    }
}
