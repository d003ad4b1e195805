/// Renders each post-install step as its own PowerShell file. Steps run inside
/// the runner, so they use its helpers (`Invoke-VizorProcess`,
/// `Request-VizorReboot`, `$VizorDir`); each is idempotent, because a restart
/// in the middle runs it again.
public enum StepRenderer {
    public static func render(_ step: PostInstallPlan.Step, install: ValidatedInstall) -> String {
        let head = "# Vizor post-install step '\(step.name)' for \(install.spec.hostname), job \(install.spec.jobID).\n"
        switch step.kind {
        case .custom(let custom):
            return head + "# Operator step, inserted as given.\n" + custom.script + (custom.script.hasSuffix("\n") ? "" : "\n")
        case .builtIn(let builtIn, let round):
            switch builtIn {
            case .guestTools:
                return head + (install.spec.guestTools == .vmware ? vmwareTools(install) : xenServerTools(install))
            case .languagePacks: return head + languagePacks(install)
            case .regionalSettings: return head + regionalSettings(install)
            case .windowsUpdate: return head + windowsUpdate(round: round, of: install.spec.windowsUpdateRounds)
            case .seal: return head + seal(install)
            }
        }
    }

    static func cdSearch(_ patterns: [String], recurse: Bool) -> String {
        #"""
        $found = $null
        $patterns = @(\#(patterns.map(psQuote).joined(separator: ", ")))
        foreach ($drive in @(Get-WmiObject Win32_LogicalDisk -Filter 'DriveType = 5')) {
            foreach ($pattern in $patterns) {
                if (-not $found) {
                    $found = Get-ChildItem -Path ($drive.DeviceID + '\') -Filter $pattern \#(recurse ? "-Recurse " : "")-ErrorAction SilentlyContinue | Select-Object -First 1
                }
            }
        }

        """#
    }

    static func xenServerTools(_ install: ValidatedInstall) -> String {
        let arch = install.architecture == .x86 ? "x86" : "x64"
        return #"""
        # XenServer VM Tools: the management agent MSI from the tools CD, silent, no
        # self-update (Vizor decides what a template carries).
        $installed = @(Get-Service -Name 'xenagent', 'XenSvc' -ErrorAction SilentlyContinue)
        if ($installed.Count -gt 0) {
            Write-Output ('XenServer VM Tools already installed ({0})' -f (($installed | ForEach-Object { $_.Name }) -join ', '))
            return
        }

        """# + cdSearch(["managementagent\(arch).msi", "managementagent-*-\(arch).msi"], recurse: true) + #"""
        if (-not $found) {
            throw 'no XenServer management agent MSI on any CD drive; insert the guest tools ISO and log on again'
        }
        $log = Join-Path $VizorDir 'xenserver-tools-msi.log'
        Invoke-VizorProcess -FilePath 'msiexec.exe' -Detached -Arguments @('/i', ('"{0}"' -f $found.FullName), '/qn', '/norestart', '/L*v', ('"{0}"' -f $log), 'ALLOWAUTOUPDATE=NO', 'ALLOWDRIVERINSTALL=YES', 'ALLOWDRIVERUPDATE=NO', 'IDENTIFYAUTOUPDATE=NO')
        # The paravirtual drivers take over only after a restart.
        Request-VizorReboot

        """#
    }

    static func vmwareTools(_ install: ValidatedInstall) -> String {
        let setup = install.architecture == .x86 ? "setup.exe" : "setup64.exe"
        return #"""
        # VMware Tools from the tools CD, silent, restart deferred to the runner.
        if (Get-Service -Name 'VMTools' -ErrorAction SilentlyContinue) {
            Write-Output 'VMware Tools already installed'
            return
        }

        """# + cdSearch([setup], recurse: false) + #"""
        if (-not $found) {
            throw 'no VMware Tools setup on any CD drive; insert the VMware Tools ISO and log on again'
        }
        Invoke-VizorProcess -FilePath $found.FullName -Detached -Arguments @('/S', '/v', '"/qn REBOOT=R"')
        Request-VizorReboot

        """#
    }

    static func languagePacks(_ install: ValidatedInstall) -> String {
        let packs = install.spec.languagePacks.map {
            "    @{ Locale = \(psQuote($0.locale)); Url = \(psQuote($0.url)) }"
        }.joined(separator: ",\n")
        return #"""
        # Language packs with DISM from the language-pack media (build \#(install.edition.build), \#(install.architecture.rawValue)).
        $packs = @(
        \#(packs)
        )
        $present = @((Get-WmiObject Win32_OperatingSystem).MUILanguages)
        $folder = Join-Path $VizorDir 'langpacks'
        New-Item -ItemType Directory -Force -Path $folder | Out-Null
        foreach ($pack in $packs) {
            if ($present -contains $pack.Locale) {
                Write-Output ('language {0} is installed already' -f $pack.Locale)
                continue
            }
            $cab = Join-Path $folder ($pack.Locale + '.cab')
            if (-not (Test-Path $cab)) {
                Save-VizorFile -Url $pack.Url -Target $cab
            }
            Invoke-VizorProcess -FilePath (Join-Path $env:SystemRoot 'System32\dism.exe') -Arguments @('/Online', '/Add-Package', ('/PackagePath:{0}' -f $cab), '/NoRestart', '/Quiet')
            Request-VizorReboot
        }

        """#
    }

    /// Regional settings. Windows 8 and Server 2012 brought the International
    /// cmdlets, and from Windows 10 on `intl.cpl` no longer sets the user
    /// language list, which decides the display language and which language
    /// packs are kept: Windows removes a pack whose language is in no list.
    /// Where the cmdlets exist, they set this user's settings, with every
    /// installed language in the list (the spec's UI language first, the other
    /// packs, then the image's own); the result is copied to the welcome screen,
    /// new users and the system account by `Copy-UserInternationalSettingsToSystem`
    /// (Windows 11) or else by `intl.cpl` with a file that only asks for the copy.
    /// Windows 7 and Server 2008 R2 have no cmdlets and take `l18n.xml` whole.
    /// The keyboards are the first language's input methods, the first of them
    /// the default (Set-WinDefaultInputMethodOverride); input profiles are
    /// language-and-layout pairs, so a layout of another language stays as given.
    static func regionalSettings(_ install: ValidatedInstall) -> String {
        let spec = install.spec
        var languages: [String] = []
        for tag in [spec.uiLanguage] + spec.languagePacks.map(\.locale) + install.edition.languages
        where !languages.contains(where: { $0.caseInsensitiveCompare(tag) == .orderedSame }) {
            languages.append(tag)
        }
        let restart = spec.uiLanguage != install.edition.defaultLanguage
        let copyOnly = #"<gs:GlobalizationServices xmlns:gs="urn:longhornGlobalizationUnattend"><gs:UserList>"#
            + #"<gs:User UserID="Current" CopySettingsToDefaultUserAcct="true" CopySettingsToSystemAcct="true" />"#
            + #"</gs:UserList></gs:GlobalizationServices>"#
        return #"""
        # Regional settings: display language, locales, keyboards and location for this
        # user, the welcome screen and new users; then the time zone.
        $control = Join-Path $env:SystemRoot 'System32\control.exe'
        if (Get-Command -Name 'Set-WinUserLanguageList' -ErrorAction SilentlyContinue) {
            # Every installed language stays in the list, or Windows removes its pack.
            $languages = @(\#(languages.map(psQuote).joined(separator: ", ")))
            $list = New-WinUserLanguageList -Language $languages[0]
            foreach ($language in ($languages | Select-Object -Skip 1)) {
                $list.Add($language)
            }
            $list[0].InputMethodTips.Clear()
            foreach ($tip in @(\#(install.inputProfiles.map(psQuote).joined(separator: ", ")))) {
                $list[0].InputMethodTips.Add($tip)
            }
            Set-WinUserLanguageList -LanguageList $list -Force
            Set-WinUILanguageOverride -Language \#(psQuote(spec.uiLanguage))
            Set-WinDefaultInputMethodOverride -InputTip \#(psQuote(install.inputProfiles[0]))
            Set-Culture -CultureInfo \#(psQuote(spec.userLocale))
            Set-WinHomeLocation -GeoId \#(install.geoID)
            if ((Get-WinSystemLocale).Name -ne \#(psQuote(spec.systemLocale))) {
                Set-WinSystemLocale -SystemLocale \#(psQuote(spec.systemLocale))
                # The system locale takes effect at the next start.
                Request-VizorReboot
            }
            if (Get-Command -Name 'Copy-UserInternationalSettingsToSystem' -ErrorAction SilentlyContinue) {
                Copy-UserInternationalSettingsToSystem -WelcomeScreen $true -NewUser $true
            } else {
                $copy = Join-Path $VizorDir 'l18n-copy.xml'
                Set-Content -Path $copy -Encoding UTF8 -Value \#(psQuote(copyOnly))
                Invoke-VizorProcess -FilePath $control -Detached -Arguments @(('intl.cpl,,/f:"{0}"' -f $copy))
            }
        } else {
            # No International module (Windows 7, Server 2008 R2): intl.cpl sets and copies everything.
            $file = Join-Path $VizorDir 'l18n.xml'
            Invoke-VizorProcess -FilePath $control -Detached -Arguments @(('intl.cpl,,/f:"{0}"' -f $file))
        }
        Invoke-VizorProcess -FilePath (Join-Path $env:SystemRoot 'System32\tzutil.exe') -Arguments @('/s', \#(psQuote(install.windowsTimeZone)))

        """# + (restart ? "# A new display language takes effect at the next logon.\nRequest-VizorReboot\n" : "")
    }

    static func windowsUpdate(round: Int, of rounds: Int) -> String {
        #"""
        # Windows Update, round \#(round) of \#(rounds): every applicable software update.
        $session = New-Object -ComObject 'Microsoft.Update.Session'
        $searcher = $session.CreateUpdateSearcher()
        $result = $searcher.Search("IsInstalled=0 and Type='Software' and IsHidden=0")
        Write-Output ('{0} updates found' -f $result.Updates.Count)
        if ($result.Updates.Count -eq 0) {
            return
        }
        $updates = New-Object -ComObject 'Microsoft.Update.UpdateColl'
        foreach ($update in $result.Updates) {
            if (-not $update.EulaAccepted) {
                $update.AcceptEula()
            }
            Write-Output ('  {0}' -f $update.Title)
            [void]$updates.Add($update)
        }
        $downloader = $session.CreateUpdateDownloader()
        $downloader.Updates = $updates
        [void]$downloader.Download()
        $installer = $session.CreateUpdateInstaller()
        $installer.Updates = $updates
        $outcome = $installer.Install()
        Write-Output ('result code {0}, restart required {1}' -f $outcome.ResultCode, $outcome.RebootRequired)
        # 2 succeeded, 3 succeeded with errors, 4 failed, 5 aborted.
        if ($outcome.ResultCode -ge 4) {
            throw ('Windows Update round \#(round) failed with result code {0}' -f $outcome.ResultCode)
        }
        if ($outcome.RebootRequired) {
            Request-VizorReboot
        }

        """#
    }

    /// The last step seals the machine and nothing else: sysprep for a
    /// template. A failure throws, so the runner reports `seal_failed` and the
    /// sequence stays resumable; only when the step succeeded does the runner
    /// report the end, remove its resume task, the auto-logon and its files,
    /// and power off (`Complete-VizorSequence`).
    static func seal(_ install: ValidatedInstall) -> String {
        guard install.spec.sysprepForTemplate else {
            return "# Nothing to generalize: the runner reports the end and powers the machine off as it is.\n"
                + "Write-Output 'nothing to generalize; the machine powers off as it is'\n"
        }
        return #"""
        # Generalize for the template. /quit, not /shutdown: the runner reports the end,
        # then removes Vizor's files (the answer file, the job token) and powers off.
        $sysprep = Join-Path $env:SystemRoot 'System32\Sysprep\sysprep.exe'
        $answers = Join-Path $VizorDir 'sysprep.xml'
        $tag = Join-Path $env:SystemRoot 'System32\Sysprep\Sysprep_succeeded.tag'
        Remove-Item -Path $tag -Force -ErrorAction SilentlyContinue
        Write-Output 'generalizing with sysprep'
        Invoke-VizorProcess -FilePath $sysprep -Detached -Arguments @('/generalize', '/oobe', '/quit', '/quiet', ('/unattend:"{0}"' -f $answers))
        if (-not (Test-Path $tag)) {
            throw 'sysprep did not report success; see C:\Windows\System32\Sysprep\Panther\setuperr.log'
        }

        """#
    }
}
