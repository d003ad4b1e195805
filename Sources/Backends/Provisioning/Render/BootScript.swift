import BackendKit

/// Renders the iPXE script that boots the ISO's own WinPE with wimboot:
/// the boot manager, BCD, boot.sdi and boot.wim come by HTTP from inside the
/// exposed ISO, and Vizor's start-up files are injected next to them, so no
/// remastered WinPE and no Windows ADK are needed.
public enum BootScriptRenderer {
    public static func render(_ install: ValidatedInstall, context: ServingContext) -> String {
        let spec = install.spec
        let job = spec.jobID
        var files: [(url: String, name: String)] = []
        switch spec.firmware {
        case .bios:
            files.append((context.mediaURL("bootmgr"), "bootmgr"))
            files.append((context.mediaURL("boot/bcd"), "BCD"))
        case .uefi:
            let loader = install.architecture.efiBootFile
            files.append((context.mediaURL(loader), String(loader.split(separator: "/").last ?? "bootx64.efi")))
            files.append((context.mediaURL("efi/microsoft/boot/bcd"), "BCD"))
        }
        files.append((context.mediaURL("boot/boot.sdi"), "boot.sdi"))
        files.append((context.mediaURL("sources/boot.wim"), "boot.wim"))
        // Injected into X:\Windows\System32 of the booted WinPE.
        files.append((context.artefactURL(job: job, name: ArtefactName.winpeshl), ArtefactName.winpeshl))
        files.append((context.artefactURL(job: job, name: ArtefactName.winPEStartup), ArtefactName.winPEStartup))
        files.append((context.artefactURL(job: job, name: ArtefactName.autounattend), ArtefactName.autounattend))
        if let curl = context.winPECurlURL { files.append((curl, "curl.exe")) }

        var lines = [
            "#!ipxe",
            "# Vizor: Windows Setup for \(spec.hostname), job \(job) (\(spec.firmware.rawValue), \(install.architecture.rawValue)).",
            "# Rendered for this node only; the artefact URLs carry the job token.",
            "echo Vizor: booting Windows Setup for \(spec.hostname) (job \(job))",
            "imgfree",
            "kernel \(context.wimbootURL(for: spec.firmware, architecture: install.architecture)) || goto failed",
        ]
        for file in files { lines.append("initrd \(file.url) \(file.name) || goto failed") }
        lines += [
            "boot || goto failed",
            "",
            ":failed",
            "echo Vizor: could not load the Windows boot files; check the media exposure and wimboot URL.",
            "echo Rebooting in 60 seconds.",
            "sleep 60",
            "reboot",
        ]
        return lines.joined(separator: "\n") + "\n"
    }
}
