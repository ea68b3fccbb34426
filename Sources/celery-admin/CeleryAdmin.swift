import CeleryAllTransports
import CeleryCommands

@main
enum CeleryAdminMain {
    static func main() async {
        AllTransports.register()
        await AdminCommand.main()
    }
}
