/// Renders the Windows Setup answer files: `autounattend.xml` for the install
/// and `sysprep.xml` for the templating step. Passes and components follow
/// Microsoft's unattend reference; every component carries the image's
/// `processorArchitecture`, since Setup ignores components for another one.
public enum AnswerFileRenderer {
    static let namespace = "urn:schemas-microsoft-com:unattend"
    static let wcm = "http://schemas.microsoft.com/WMIConfig/2002/State"

    /// `autounattend.xml`: windowsPE (locale, disk, image, user data),
    /// specialize (name, time zone), oobeSystem (accounts, auto-logon, first logon).
    public static func autounattend(_ install: ValidatedInstall, context: ServingContext) -> String {
        let spec = install.spec
        let windowsPE = XMLTree("settings", [("pass", "windowsPE")], [
            component("Microsoft-Windows-International-Core-WinPE", install, [
                XMLTree("SetupUILanguage", [], [.leaf("UILanguage", install.setupUILanguage)]),
                .leaf("InputLocale", install.inputProfiles.joined(separator: ";")),
                .leaf("SystemLocale", spec.systemLocale),
                .leaf("UILanguage", install.setupUILanguage),
                .leaf("UILanguageFallback", "en-US"),
                .leaf("UserLocale", spec.userLocale),
            ]),
            component("Microsoft-Windows-Setup", install, [
                diskConfiguration(spec.firmware == .uefi),
                XMLTree("ImageInstall", [], [XMLTree("OSImage", [], [
                    XMLTree("InstallFrom", [], [XMLTree("MetaData", [("wcm:action", "add")], [
                        .leaf("Key", "/IMAGE/INDEX"), .leaf("Value", String(install.edition.index)),
                    ])]),
                    XMLTree("InstallTo", [], [.leaf("DiskID", "0"), .leaf("PartitionID", spec.firmware == .uefi ? "3" : "2")]),
                    .leaf("InstallToAvailablePartition", "false"),
                    .leaf("WillShowUI", "OnError"),
                ])]),
                userData(install),
            ]),
        ])
        let specialize = XMLTree("settings", [("pass", "specialize")], specializeComponents(install, computerName: spec.hostname))
        let oobe = XMLTree("settings", [("pass", "oobeSystem")], [
            internationalCore(install),
            component("Microsoft-Windows-Shell-Setup", install, [
                autoLogon(spec),
                firstLogonCommands(install, context: context),
                oobeSettings(install),
                userAccounts(spec),
                .leaf("RegisteredOrganization", spec.organization),
                .leaf("RegisteredOwner", spec.owner),
                .leaf("TimeZone", install.windowsTimeZone),
            ]),
        ])
        return XMLTree("unattend", [("xmlns", namespace)], [windowsPE, specialize, oobe]).document()
    }

    /// `sysprep.xml`: used with `sysprep /generalize /oobe /shutdown`, so that
    /// every VM made from the template gets a fresh name and skips OOBE.
    ///
    /// `/generalize` disables the built-in Administrator, and OOBE on a client
    /// edition then asks for an account: HideLocalAccountScreen applies to
    /// Server editions only (Microsoft-Windows-Shell-Setup | OOBE reference).
    /// A client's file therefore logs the Administrator on once: AutoLogon with
    /// the user name `Administrator` enables the built-in account (AutoLogon |
    /// Username reference), so OOBE has its account and ends unattended. The
    /// clones' Administrator has the spec's password, as on Server.
    public static func sysprep(_ install: ValidatedInstall) -> String {
        let spec = install.spec
        var shell: [XMLTree] = []
        if install.edition.isClient { shell.append(autoLogon(spec, count: 1)) }
        shell += [
            oobeSettings(install),
            XMLTree("UserAccounts", [], [administratorPassword(spec)]),
            .leaf("RegisteredOrganization", spec.organization),
            .leaf("RegisteredOwner", spec.owner),
            .leaf("TimeZone", install.windowsTimeZone),
        ]
        let generalize = XMLTree("settings", [("pass", "generalize")], [
            component("Microsoft-Windows-PnpSysprep", install, [
                .leaf("PersistAllDeviceInstalls", "true"),
            ]),
        ])
        let specialize = XMLTree("settings", [("pass", "specialize")], specializeComponents(install, computerName: "*"))
        let oobe = XMLTree("settings", [("pass", "oobeSystem")], [
            internationalCore(install, packsInstalled: true),
            component("Microsoft-Windows-Shell-Setup", install, shell),
        ])
        return XMLTree("unattend", [("xmlns", namespace)], [generalize, specialize, oobe]).document()
    }

    // MARK: pieces

    static func component(_ name: String, _ install: ValidatedInstall, _ children: [XMLTree]) -> XMLTree {
        XMLTree("component", [
            ("name", name), ("processorArchitecture", install.architecture.unattendValue),
            ("publicKeyToken", "31bf3856ad364e35"), ("language", "neutral"), ("versionScope", "nonSxS"),
            ("xmlns:wcm", wcm),
        ], children)
    }

    /// International-Core for oobeSystem. During the install, a language that
    /// comes from a pack is switched to by the regional-settings step once the
    /// pack is installed, so the image's language stays until then. When
    /// sysprep runs, the seal step comes after the language packs, so the
    /// clones get the language the spec asked for; with the image's default
    /// written there, they would start in it.
    static func internationalCore(_ install: ValidatedInstall, packsInstalled: Bool = false) -> XMLTree {
        component("Microsoft-Windows-International-Core", install, [
            .leaf("InputLocale", install.inputProfiles.joined(separator: ";")),
            .leaf("SystemLocale", install.spec.systemLocale),
            .leaf("UILanguage", packsInstalled ? install.spec.uiLanguage : install.setupUILanguage),
            .leaf("UserLocale", install.spec.userLocale),
        ])
    }

    static func specializeComponents(_ install: ValidatedInstall, computerName: String) -> [XMLTree] {
        var components = [
            component("Microsoft-Windows-Shell-Setup", install, [
                .leaf("ComputerName", computerName),
                .leaf("RegisteredOrganization", install.spec.organization),
                .leaf("RegisteredOwner", install.spec.owner),
                .leaf("TimeZone", install.windowsTimeZone),
            ]),
        ]
        if install.edition.build >= 7600 {
            components.append(component("Microsoft-Windows-Security-SPP-UX", install, [.leaf("SkipAutoActivation", "true")]))
        }
        return components
    }

    static func diskConfiguration(_ uefi: Bool) -> XMLTree {
        func create(_ order: Int, _ type: String, size: Int?) -> XMLTree {
            var children: [XMLTree] = [.leaf("Order", String(order)), .leaf("Type", type)]
            children.append(size.map { .leaf("Size", String($0)) } ?? .leaf("Extend", "true"))
            return XMLTree("CreatePartition", [("wcm:action", "add")], children)
        }
        func modify(_ order: Int, _ partition: Int, format: String?, label: String?, letter: String?, active: Bool = false) -> XMLTree {
            var children: [XMLTree] = [.leaf("Order", String(order)), .leaf("PartitionID", String(partition))]
            if let format { children.append(.leaf("Format", format)) }
            if let label { children.append(.leaf("Label", label)) }
            if let letter { children.append(.leaf("Letter", letter)) }
            if active { children.append(.leaf("Active", "true")) }
            return XMLTree("ModifyPartition", [("wcm:action", "add")], children)
        }
        let creates: [XMLTree]
        let modifies: [XMLTree]
        if uefi {
            // GPT: EFI system partition, Microsoft reserved, Windows on the rest.
            creates = [create(1, "EFI", size: 500), create(2, "MSR", size: 128), create(3, "Primary", size: nil)]
            modifies = [modify(1, 1, format: "FAT32", label: "System", letter: nil),
                        modify(2, 3, format: "NTFS", label: "Windows", letter: "C")]
        } else {
            // MBR: active system partition, Windows on the rest.
            creates = [create(1, "Primary", size: 500), create(2, "Primary", size: nil)]
            modifies = [modify(1, 1, format: "NTFS", label: "System", letter: nil, active: true),
                        modify(2, 2, format: "NTFS", label: "Windows", letter: "C")]
        }
        return XMLTree("DiskConfiguration", [], [
            XMLTree("Disk", [("wcm:action", "add")], [
                XMLTree("CreatePartitions", [], creates),
                XMLTree("ModifyPartitions", [], modifies),
                .leaf("DiskID", "0"),
                .leaf("WillWipeDisk", "true"),
            ]),
            .leaf("WillShowUI", "OnError"),
        ])
    }

    /// `UserData`, with the product key. The operator's key is written as given,
    /// and Setup shows its page only if the key is refused. Without one, a client
    /// edition gets its KMS client setup key (`KMSClientKeys`), or an empty `Key`
    /// where Microsoft publishes none (Home, evaluation media, which refuse keys),
    /// and `WillShowUI` `Never`: retail and volume client media otherwise stop at
    /// the key page inside WinPE, where nobody answers. This is the choice
    /// packer-windows' answer files make; the unattend reference documents `Key`
    /// and `WillShowUI` but not how each medium treats a missing key. Server
    /// media install without a key, as before.
    static func userData(_ install: ValidatedInstall) -> XMLTree {
        let spec = install.spec
        var children: [XMLTree] = [.leaf("AcceptEula", "true"), .leaf("FullName", spec.owner),
                                   .leaf("Organization", spec.organization)]
        if let key = spec.productKey {
            children.append(XMLTree("ProductKey", [], [.leaf("Key", key.uppercased()), .leaf("WillShowUI", "OnError")]))
        } else if install.edition.isClient {
            let generic = KMSClientKeys.key(editionID: install.edition.editionID, build: install.edition.build) ?? ""
            children.append(XMLTree("ProductKey", [], [.leaf("Key", generic), .leaf("WillShowUI", "Never")]))
        }
        return XMLTree("UserData", [], children)
    }

    static func hidden(_ element: String, _ password: String, _ setting: WindowsPassword.Setting) -> XMLTree {
        XMLTree(element, [], [.leaf("Value", WindowsPassword.encode(password, for: setting)), .leaf("PlainText", "false")])
    }

    static func administratorPassword(_ spec: InstallSpec) -> XMLTree {
        hidden("AdministratorPassword", spec.administratorPassword, .administratorPassword)
    }

    static func userAccounts(_ spec: InstallSpec) -> XMLTree {
        var children = [administratorPassword(spec)]
        if !spec.users.isEmpty {
            children.append(XMLTree("LocalAccounts", [], spec.users.map { user in
                XMLTree("LocalAccount", [("wcm:action", "add")], [
                    hidden("Password", user.password, .password),
                    .leaf("DisplayName", user.displayName),
                    .leaf("Group", user.group),
                    .leaf("Name", user.name),
                ])
            }))
        }
        return XMLTree("UserAccounts", [], children)
    }

    /// Auto-logon of the built-in Administrator: many times while the
    /// post-install sequence restarts (the seal step turns it off), once for the
    /// clones of a client template.
    static func autoLogon(_ spec: InstallSpec, count: Int = 999) -> XMLTree {
        XMLTree("AutoLogon", [], [
            hidden("Password", spec.administratorPassword, .password),
            .leaf("Enabled", "true"),
            .leaf("LogonCount", String(count)),
            .leaf("Username", "Administrator"),
        ])
    }

    static func oobeSettings(_ install: ValidatedInstall) -> XMLTree {
        var children: [XMLTree] = [.leaf("HideEULAPage", "true")]
        if install.edition.build >= 9200 {
            // The Administrator password page; a Server-only setting.
            if !install.edition.isClient { children.append(.leaf("HideLocalAccountScreen", "true")) }
            children.append(.leaf("HideOEMRegistrationScreen", "true"))
            children.append(.leaf("HideOnlineAccountScreens", "true"))
        }
        children.append(.leaf("HideWirelessSetupInOOBE", "true"))
        children.append(.leaf("ProtectYourPC", "3"))
        return XMLTree("OOBE", [], children)
    }

    /// Attempts and per-attempt deadline of the runner download at first logon.
    static let runnerDownloadTries = 10
    static let runnerDownloadTimeoutMilliseconds = 30_000

    /// Creates the Vizor directory, downloads the runner in one command with
    /// retries and a deadline, and starts it. The network may not be up yet
    /// at the first logon, and a stalled answer must not hold the logon for
    /// ever. PowerShell 2 (Windows 7, 2008 R2) has no Invoke-WebRequest and
    /// WebClient no deadline, so the download is HttpWebRequest with
    /// `Timeout` and `ReadWriteTimeout`, written to `.part` and moved into
    /// place when complete; up to ten attempts, 5 s more pause after each.
    /// A command line stays under Setup's 1024 characters.
    static func firstLogonCommands(_ install: ValidatedInstall, context: ServingContext) -> XMLTree {
        let dir = ArtefactName.guestDirectory
        let runnerPath = dir + "\\" + ArtefactName.runner
        let url = context.artefactURL(job: install.spec.jobID, name: ArtefactName.runner)
        let powershell = #"%SystemRoot%\System32\WindowsPowerShell\v1.0\powershell.exe -NoProfile -ExecutionPolicy Bypass"#
        let timeout = runnerDownloadTimeoutMilliseconds
        let download = "$u = \(psQuote(url)); $f = \(psQuote(runnerPath)); for ($i = 1; $i -le \(runnerDownloadTries); $i++) { "
            + "$r = $null; $o = $null; try { $q = [Net.WebRequest]::Create($u); $q.Timeout = \(timeout); "
            + "$q.ReadWriteTimeout = \(timeout); $r = $q.GetResponse(); $s = $r.GetResponseStream(); "
            + "$o = [IO.File]::Create($f + '.part'); $b = New-Object byte[] 65536; "
            + "while (($n = $s.Read($b, 0, $b.Length)) -gt 0) { $o.Write($b, 0, $n) }; $o.Close(); $r.Close(); "
            + "Move-Item -Force -Path ($f + '.part') -Destination $f; exit 0 } "
            + "catch { if ($o) { $o.Close() }; if ($r) { $r.Close() }; Start-Sleep -Seconds (5 * $i) } }; exit 1"
        let commands = [
            (#"cmd.exe /c if not exist "\#(dir)" mkdir "\#(dir)""#, "Create the Vizor directory"),
            (powershell + #" -Command "\#(download)""#, "Download the Vizor post-install runner, with retries"),
            (powershell + #" -File "\#(runnerPath)""#, "Start the Vizor post-install sequence"),
        ]
        return XMLTree("FirstLogonCommands", [], commands.enumerated().map { number, command in
            XMLTree("SynchronousCommand", [("wcm:action", "add")], [
                .leaf("CommandLine", command.0),
                .leaf("Description", command.1),
                .leaf("Order", String(number + 1)),
                .leaf("RequiresUserInput", "false"),
            ])
        })
    }
}
