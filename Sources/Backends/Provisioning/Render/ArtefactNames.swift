/// File names of the artefacts one job serves, shared by renderers and the registry.
public enum ArtefactName {
    public static let bootScript = "boot.ipxe"
    public static let autounattend = "autounattend.xml"
    public static let sysprep = "sysprep.xml"
    public static let regional = "l18n.xml"
    public static let winpeshl = "winpeshl.ini"
    public static let winPEStartup = "vizor-winpe.cmd"
    public static let runner = "vizor-runner.ps1"
    /// A configured curl.exe, injected into WinPE's System32 (see `WinPECurl`).
    public static let winPECurl = "curl.exe"
    /// Where the post-install files live inside the installed Windows.
    public static let guestDirectory = #"C:\ProgramData\Vizor"#
}
