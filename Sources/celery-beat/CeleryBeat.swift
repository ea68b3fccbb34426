import CeleryAllTransports
import CeleryCommands
// Named time zones (`"timezone": "Europe/Paris"` in a schedule file) come from ICU through
// FoundationInternationalization; the library itself needs only FoundationEssentials.
#if canImport(FoundationInternationalization)
import FoundationInternationalization
#endif

/// `celery-beat`: the periodic scheduler.
@main
enum CeleryBeatMain {
    static func main() async {
        AllTransports.register()
        await BeatCommand.main(BeatCommand.normalize(Array(CommandLine.arguments.dropFirst())))
    }
}
