import CeleryCommands

@main
enum CeleryAdminMain {
    static func main() async { await AdminCommand.main() }
}
