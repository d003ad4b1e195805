import Foundation

/// Specialize and OOBE of a generalized Windows, started again: the machine
/// sysprep sealed, and every clone of its disk. They read the answer file
/// sysprep was given (`sysprep /unattend:<file>` caches it as
/// `C:\Windows\Panther\unattend.xml`), the passes of the installed
/// architecture only.
///
/// `sysprep /generalize` disables the built-in Administrator. A Server
/// edition's OOBE asks for its password, unless the answer file gives one
/// (`UserAccounts/AdministratorPassword`). A client edition's OOBE stops at
/// "create an account" unless the answer file creates a local account
/// (`UserAccounts/LocalAccounts/LocalAccount`) or logs one on by itself
/// (`AutoLogon`, which for the built-in Administrator enables the account);
/// `OOBE/HideLocalAccountScreen` is honoured by Server editions only.
public enum LabOOBE {
    public enum Outcome: Sendable, Equatable {
        /// Winlogon logs this user on by itself, `count` times.
        case autoLogon(user: String, count: Int)
        /// OOBE is done and Windows shows its logon screen.
        case logonScreen
    }

    public static let cachedAnswerFile = #"C:\Windows\Panther\unattend.xml"#

    public static func run(answerFile text: String, installed: LabInstalledWindows) throws(LabGuestFailure) -> Outcome {
        let file = try LabAnswerFile.parse(text, path: cachedAnswerFile)
        let shell = file.components(pass: "oobeSystem", architecture: installed.architecture)["Microsoft-Windows-Shell-Setup"]
        let client = (installed.installationType ?? "Client").lowercased() == "client"
        let accounts = shell?.child("UserAccounts")
        let localAccounts = accounts?.child("LocalAccounts")?.all("LocalAccount").filter { !($0.value("Name") ?? "").isEmpty } ?? []
        let administratorPassword = accounts?.child("AdministratorPassword")?.value("Value")
        var autoLogon: Outcome?
        if let logon = shell?.child("AutoLogon"), logon.value("Enabled")?.lowercased() == "true",
           let user = logon.value("Username"), !user.isEmpty {
            autoLogon = .autoLogon(user: user, count: Int(logon.value("LogonCount") ?? "") ?? 1)
        }
        if client {
            if let autoLogon { return autoLogon }
            guard !localAccounts.isEmpty else {
                let hidden = shell?.value("OOBE/HideLocalAccountScreen")?.lowercased() == "true"
                    ? " (HideLocalAccountScreen is honoured by Server editions only)" : ""
                throw LabGuestFailure("OOBE stops at \"create an account\": generalize disabled the built-in Administrator, and "
                                      + "the answer file creates no local account and sets no AutoLogon\(hidden); "
                                      + "it waits for someone at the console")
            }
            return .logonScreen
        }
        guard administratorPassword != nil || !localAccounts.isEmpty else {
            throw LabGuestFailure("OOBE asks for the built-in Administrator's new password: the answer file gives none; "
                                  + "it waits for someone at the console")
        }
        return autoLogon ?? .logonScreen
    }
}
