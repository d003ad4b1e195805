/// Renders the files wimboot injects into the ISO's own WinPE: `winpeshl.ini`
/// (replaces the Setup shell) and a cmd start-up, because the Setup WinPE has
/// no PowerShell. The start-up initialises the network, asks Razor's
/// `/svc/nodeid` for its node id from its MACs, maps the ISO's SMB share with
/// retries (each try logged to Razor), runs `setup.exe /unattend`, and reports
/// `finished` through `/svc/stage-done` or the failure through `/svc/log`.
/// HTTP goes through `curl.exe`: the medium's own, or one the operator
/// configured, which wimboot injects (see `WinPECurl`).
public enum WinPERenderer {
    public static func winpeshl() -> String {
        crlf([
            "[LaunchApps]",
            #"%SYSTEMROOT%\System32\wpeinit.exe"#,
            #"%SYSTEMROOT%\System32\cmd.exe, /k %SYSTEMROOT%\System32\\#(ArtefactName.winPEStartup)"#,
        ])
    }

    public static func startup(_ install: ValidatedInstall, context: ServingContext) -> String {
        let spec = install.spec
        // `net use` runs in a console nobody sees, so it must never wait at a
        // prompt: it asks for a password only when none is given, so every
        // attempt names a user and a password; `/persistent:no` keeps nothing
        // to ask about later; input from NUL makes any other question fail at
        // once instead of waiting (whether net.exe reads its answers from
        // standard input is not documented; the redirection costs nothing).
        let guestAccess: [String]
        let mapCommand: String
        if let user = context.smbUser, let password = context.smbPassword {
            guestAccess = []
            mapCommand = #"net use Z: "%VZ_SHARE%" "\#(password)" /user:"\#(user)" /persistent:no < NUL >> "%VZ_LOG%" 2>&1"#
        } else {
            // A guest share: a user Samba does not know is let in as its guest
            // (`map to guest = Bad User`). Since Windows 10 1709 the SMB client
            // refuses guest logons unless AllowInsecureGuestAuth is set
            // (KB4046019); WinPE's registry lives in memory, so setting it changes
            // nothing beyond this boot. A client that requires SMB signing still
            // refuses a guest: configure a Samba account for Vizor instead.
            guestAccess = [
                "rem Guest logons are refused by default since Windows 10 1709 (KB4046019).",
                #"reg add "HKLM\SYSTEM\CurrentControlSet\Services\LanmanWorkstation\Parameters" /v AllowInsecureGuestAuth /t REG_DWORD /d 1 /f >> "%VZ_LOG%" 2>&1"#,
            ]
            mapCommand = #"net use Z: "%VZ_SHARE%" "vizor" /user:"vizor-guest" /persistent:no < NUL >> "%VZ_LOG%" 2>&1"#
        }
        let lines: [String] = [
            "@echo off",
            "rem Vizor WinPE start-up for \(spec.hostname), job \(spec.jobID). Rendered by Vizor for this node.",
            "setlocal EnableExtensions EnableDelayedExpansion",
            #"set "VZ_SVC=\#(context.razorServiceURL)""#,
            #"set "VZ_SHARE=\#(context.smbShare)""#,
            #"set "VZ_LOG=X:\vizor-winpe.log""#,
            #"set "VZ_ANSWER=%SYSTEMROOT%\System32\\#(ArtefactName.autounattend)""#,
            #"set "VZ_ID=""#,
            #"echo [vizor] start-up for job \#(spec.jobID) > "%VZ_LOG%""#,
            #"if not exist "%SYSTEMROOT%\System32\curl.exe" ("#,
            "  echo [vizor] this WinPE has no curl.exe; set exposure.winpe_curl.\(install.architecture.rawValue) in Vizor's configuration to a curl.exe for Vizor to inject.",
            "  exit /b 1",
            ")",
            "",
            "echo [vizor] initialising the network",
            #"wpeutil InitializeNetwork >> "%VZ_LOG%" 2>&1"#,
            #"wpeutil WaitForNetwork >> "%VZ_LOG%" 2>&1"#,
            "set /a VZ_TRY=0",
            ":wait_address",
            "ipconfig | find \"IPv4\" >nul && goto have_address",
            "set /a VZ_TRY+=1",
            "if !VZ_TRY! GEQ 30 goto have_address",
            "ping -n 3 127.0.0.1 >nul",
            "goto wait_address",
            ":have_address",
            "",
            "rem Hardware ids from every MAC, net0=52-54-00-aa-bb-01 and so on, as /svc/nodeid expects.",
            #"set "VZ_HWID=""#,
            "set /a VZ_N=0",
            #"for /f "tokens=*" %%L in ('ipconfig /all ^| findstr /r "[0-9A-F][0-9A-F]-[0-9A-F][0-9A-F]-[0-9A-F][0-9A-F]-[0-9A-F][0-9A-F]-[0-9A-F][0-9A-F]-[0-9A-F][0-9A-F]$"') do ("#,
            #"  for %%T in (%%L) do set "VZ_LAST=%%T""#,
            #"  if "!VZ_LAST:~17!"=="" if not "!VZ_LAST:~16!"=="" ("#,
            #"    set "VZ_HWID=!VZ_HWID!&net!VZ_N!=!VZ_LAST!""#,
            "    set /a VZ_N+=1",
            "  )",
            ")",
            #"if not defined VZ_HWID ("#,
            "  echo [vizor] no network adapter with a MAC address was found.",
            "  exit /b 1",
            ")",
            #"set "VZ_HWID=!VZ_HWID:~1!""#,
            "",
            "rem Node id from Razor, 10 tries 3 seconds apart.",
            "for /l %%I in (1,1,10) do if not defined VZ_ID (",
            #"  curl.exe -fsS -o X:\vizor-nodeid.json "%VZ_SVC%/nodeid?!VZ_HWID!" >> "%VZ_LOG%" 2>&1"#,
            #"  if exist X:\vizor-nodeid.json for /f "tokens=2 delims=:}" %%V in (X:\vizor-nodeid.json) do set "VZ_ID=%%~V""#,
            "  if not defined VZ_ID ping -n 4 127.0.0.1 >nul",
            ")",
            "if not defined VZ_ID (",
            "  echo [vizor] Razor did not tell this node its id; see %VZ_LOG%.",
            "  exit /b 1",
            ")",
            #"set "VZ_ID=!VZ_ID: =!""#,
            "call :report info winpe_started_node_!VZ_ID!",
            "",
        ] + guestAccess + [
            "rem Map the install media share, up to 30 tries with growing pauses.",
            "set /a VZ_TRY=0",
            ":map_share",
            "set /a VZ_TRY+=1",
            "net use Z: /delete /y >nul 2>&1",
            mapCommand,
        ] + [
            "set VZ_RC=!errorlevel!",
            "call :report info net_use_try_!VZ_TRY!_exit_code_!VZ_RC!",
            #"if "!VZ_RC!"=="0" goto mapped"#,
            "if !VZ_TRY! GEQ 30 (",
            "  call :report error map_network_share_failed",
            "  exit /b 1",
            ")",
            "set /a VZ_WAIT=VZ_TRY*2+1",
            "if !VZ_WAIT! GTR 21 set /a VZ_WAIT=21",
            "ping -n !VZ_WAIT! 127.0.0.1 >nul",
            "goto map_share",
            ":mapped",
            "",
            "call :report info start_installer",
            #"Z:\setup.exe /unattend:"%VZ_ANSWER%" /noreboot"#,
            "set VZ_RC=!errorlevel!",
            "call :report info setup_exit_code_!VZ_RC!",
            #"if not "!VZ_RC!"=="0" ("#,
            #"  if exist X:\Windows\Panther\setuperr.log type X:\Windows\Panther\setuperr.log >> "%VZ_LOG%""#,
            "  call :report error unexpected_exit_code_!VZ_RC!",
            "  exit /b 1",
            ")",
            #"curl.exe -fsS -o NUL "%VZ_SVC%/stage-done/!VZ_ID!?name=finished" >> "%VZ_LOG%" 2>&1"#,
            "wpeutil reboot",
            "exit /b 0",
            "",
            ":report",
            "rem Arguments: severity, then a URL-safe message token.",
            "echo [vizor] %~1: %~2",
            #"curl.exe -fsS -o NUL "%VZ_SVC%/log/!VZ_ID!?severity=%~1&msg=%~2" >> "%VZ_LOG%" 2>&1"#,
            "exit /b 0",
        ]
        return crlf(lines)
    }

    /// cmd.exe wants CRLF line ends (labels and `goto` misbehave with bare LF).
    static func crlf(_ lines: [String]) -> String {
        lines.joined(separator: "\r\n") + "\r\n"
    }
}
