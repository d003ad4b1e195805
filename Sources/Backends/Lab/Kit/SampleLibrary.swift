import Foundation
import VizorMedia

/// The lab's sample media library: small on disk (sparse) but structurally
/// real ISOs (ISO 9660 + UDF 1.02 bridge, El Torito, real WIM headers and
/// XML), so the catalogue, the wizard and media exposure have something true
/// to work on without any vendor media.
public enum SampleLibrary {
    /// Creates the sample ISOs under `directory` if they are not there yet and
    /// returns their paths. With `realisticSizes`, install images have the
    /// apparent sizes of real media (GiBs, as holes).
    @discardableResult
    public static func ensure(in directory: URL, realisticSizes: Bool = true) throws -> [URL] {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var urls: [URL] = []
        for sample in samples(realisticSizes: realisticSizes) {
            let url = directory.appendingPathComponent(sample.fileName)
            if !FileManager.default.fileExists(atPath: url.path) {
                let partial = directory.appendingPathComponent(".\(sample.fileName).partial")
                try sample.writer.write(to: partial)
                guard rename(partial.path, url.path) == 0 else {
                    throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
                }
            }
            urls.append(url)
        }
        return urls
    }

    struct Sample {
        var fileName: String
        var writer: BridgeISOWriter
    }

    static let gib: UInt64 = 1 << 30

    static func windows(fileName: String, label: String, images: [SampleWIMImage], installSize: UInt64,
                        esd: Bool = false, languages: [String], arch: WindowsArchitecture, buildLab: String,
                        realistic: Bool) -> Sample {
        let size = realistic ? installSize : 2 << 20
        let install = SampleWIMWriter.layout(images: images, size: size, solid: esd)
        let boot = SampleWIMWriter.layout(images: [
            SampleWIMImage(name: "Microsoft Windows PE (\(arch.rawValue))", editionID: "WindowsPE", architecture: arch,
                           languages: [languages[0]], version: images[0].version, installationType: "WindowsPE"),
            SampleWIMImage(name: "Microsoft Windows Setup (\(arch.rawValue))", editionID: "WindowsPE", architecture: arch,
                           languages: [languages[0]], version: images[0].version, installationType: "WindowsPE"),
        ], size: realistic ? 600 << 20 : 1 << 20)
        var lang = "\r\n[Available UI Languages]\r\n"
        for (offset, language) in languages.enumerated() { lang += "\(language) = \(offset == 0 ? 3 : 0)\r\n" }
        lang += "\r\n[Fallback Languages]\r\n\(languages[0].lowercased()) = \(languages[0].lowercased())\r\n"
        let buildArch = arch == .x64 ? "amd64" : arch.rawValue
        let efiName = arch == .x86 ? "bootia32.efi" : arch == .arm64 ? "bootaa64.efi" : "bootx64.efi"
        let files = [
            SampleFile(path: "bootmgr", bytes: [UInt8](repeating: 0x4D, count: 4096)),
            SampleFile(path: "bootmgr.efi", bytes: Array("MZ".utf8) + [UInt8](repeating: 0, count: 2046)),
            SampleFile(path: "setup.exe", bytes: Array("MZ".utf8) + [UInt8](repeating: 0, count: 4094)),
            SampleFile(path: "boot/etfsboot.com", bytes: [0xEB, 0x3C] + [UInt8](repeating: 0x90, count: 4094)),
            // What wimboot loads besides boot.wim: the BCD stores (registry hives) and the ramdisk image.
            SampleFile(path: "boot/bcd", bytes: Array("regf".utf8) + [UInt8](repeating: 0, count: 8188)),
            SampleFile(path: "boot/boot.sdi", bytes: Array("$SDI0001".utf8) + [UInt8](repeating: 0, count: 8184)),
            SampleFile(path: "efi/microsoft/boot/bcd", bytes: Array("regf".utf8) + [UInt8](repeating: 0, count: 8188)),
            SampleFile(path: "efi/microsoft/boot/efisys.bin", size: 1_474_560,
                       runs: [(0, [0xEB, 0x3C, 0x90] + Array("MSDOS5.0".utf8))]),
            SampleFile(path: "efi/boot/\(efiName)", bytes: Array("MZ".utf8) + [UInt8](repeating: 0, count: 2046)),
            SampleFile(path: "sources/\(esd ? "install.esd" : "install.wim")", size: install.size,
                       runs: install.runs.map { (offset: $0.0, bytes: $0.1) }),
            SampleFile(path: "sources/boot.wim", size: boot.size, runs: boot.runs.map { (offset: $0.0, bytes: $0.1) }),
            SampleFile(path: "sources/lang.ini", text: lang),
            SampleFile(path: "sources/idwbinfo.txt",
                       text: "[BUILDINFO]\r\nBuildArch=\(buildArch)\r\nBuildBranch=\(buildLab.split(separator: ".").dropFirst().first ?? "")\r\nBuildLab=\(buildLab)\r\n"),
        ]
        return Sample(fileName: fileName, writer: BridgeISOWriter(
            label: label, files: files,
            boot: SampleBoot(biosImage: arch == .arm64 ? nil : "boot/etfsboot.com", efiImage: "efi/microsoft/boot/efisys.bin")))
    }

    static func samples(realisticSizes realistic: Bool) -> [Sample] {
        let server = WindowsVersion(major: 10, minor: 0, build: 20348, spBuild: 587)
        let win11 = WindowsVersion(major: 10, minor: 0, build: 22621, spBuild: 2283)
        let win10 = WindowsVersion(major: 10, minor: 0, build: 19045, spBuild: 2965)
        let serverImages = [
            ("Windows Server 2022 Standard", "ServerStandard", "Server Core"),
            ("Windows Server 2022 Standard (Desktop Experience)", "ServerStandard", "Server"),
            ("Windows Server 2022 Datacenter", "ServerDatacenter", "Server Core"),
            ("Windows Server 2022 Datacenter (Desktop Experience)", "ServerDatacenter", "Server"),
        ].map { SampleWIMImage(name: $0.0, editionID: $0.1, architecture: .x64, languages: ["en-US"], version: server,
                               installationType: $0.2) }
        let win11Images = [("Windows 11 Home", "Core"), ("Windows 11 Education", "Education"),
                           ("Windows 11 Pro", "Professional"), ("Windows 11 Pro for Workstations", "ProfessionalWorkstation")]
            .map { SampleWIMImage(name: $0.0, editionID: $0.1, architecture: .x64, languages: ["en-US", "de-DE"],
                                  version: win11) }
        func win10Images(_ arch: WindowsArchitecture) -> [SampleWIMImage] {
            [("Windows 10 Home", "Core"), ("Windows 10 Pro", "Professional"), ("Windows 10 Education", "Education")]
                .map { SampleWIMImage(name: $0.0, editionID: $0.1, architecture: arch, languages: ["en-US"], version: win10) }
        }
        var result = [
            windows(fileName: "Windows_Server_2022_x64_en-US.iso", label: "SSS_X64FREE_EN-US_DV9", images: serverImages,
                    installSize: 4_900_000_000, languages: ["en-US"], arch: .x64,
                    buildLab: "20348.fe_release.210507-1500", realistic: realistic),
            windows(fileName: "Windows_11_22H2_x64_en-US_de-DE.iso", label: "CCCOMA_X64FRE_EN-US_DV9", images: win11Images,
                    installSize: 5_600_000_000, languages: ["en-US", "de-DE"], arch: .x64,
                    buildLab: "22621.ni_release.220506-1250", realistic: realistic),
            windows(fileName: "Windows_10_22H2_x86_en-US.iso", label: "CCCOMA_X86FRE_EN-US_DV9", images: win10Images(.x86),
                    installSize: 3_100_000_000, languages: ["en-US"], arch: .x86,
                    buildLab: "19041.vb_release.191206-1406", realistic: realistic),
            windows(fileName: "Windows_10_22H2_x64_en-US.iso", label: "CCCOMA_X64FRE_EN-US_DV9", images: win10Images(.x64),
                    installSize: 4_400_000_000, languages: ["en-US"], arch: .x64,
                    buildLab: "19041.vb_release.191206-1406", realistic: realistic),
            windows(fileName: "Windows_11_22H2_x64_ESD.iso", label: "ESD-ISO", images: Array(win11Images.prefix(3)),
                    installSize: 3_900_000_000, esd: true, languages: ["en-US", "de-DE"], arch: .x64,
                    buildLab: "22621.ni_release.220506-1250", realistic: realistic),
        ]
        var packs: [SampleFile] = []
        for language in ["fr-fr", "de-de", "ja-jp", "es-es"] {
            packs.append(SampleFile(path: "x64/langpacks/Microsoft-Windows-Client-Language-Pack_x64_\(language).cab",
                                    size: realistic ? 60 << 20 : 4096, runs: [(0, Array("MSCF".utf8))]))
        }
        result.append(Sample(fileName: "22621.1.220506-1250.ni_release_CLIENT_LOF_PACKAGES_OEM.iso",
                             writer: BridgeISOWriter(label: "22621.1.NI_LOF_PACKAGES", files: packs)))
        let debian = [
            SampleFile(path: ".disk/info", text: "Debian GNU/Linux 12.5.0 \"Bookworm\" - Official amd64 NETINST with firmware 20240210-11:27"),
            SampleFile(path: "isolinux/isolinux.bin", bytes: [0xFA] + [UInt8](repeating: 0x90, count: 2047)),
            SampleFile(path: "isolinux/isolinux.cfg", text: "path \ninclude menu.cfg\ndefault vesamenu.c32\n"),
            SampleFile(path: "boot/grub/efi.img", size: 2_949_120, runs: [(0, [0xEB, 0x3C, 0x90] + Array("mkfs.fat".utf8))]),
            SampleFile(path: "boot/grub/grub.cfg", text: "menuentry 'Install' {\n  linux /install.amd/vmlinuz\n}\n"),
            SampleFile(path: "install.amd/vmlinuz", size: realistic ? 7_800_000 : 8192, runs: [(0x202, Array("HdrS".utf8))]),
            SampleFile(path: "install.amd/initrd.gz", size: realistic ? 19_000_000 : 8192, runs: [(0, [0x1F, 0x8B])]),
        ]
        result.append(Sample(fileName: "debian-12.5.0-amd64-netinst.iso", writer: BridgeISOWriter(
            label: "Debian 12.5.0 amd64 n", files: debian,
            boot: SampleBoot(biosImage: "isolinux/isolinux.bin", efiImage: "boot/grub/efi.img"))))
        return result
    }
}
