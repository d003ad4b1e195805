import BackendKit
import Crypto
import Foundation
import VizorChildProcess
import VizorMedia

/// Where the boot ISO's pieces are on this machine: Debian's `ipxe`,
/// `isolinux` and `syslinux-common` packages put them at the defaults.
/// Vizor bundles none of them.
public struct BootISOInputs: Sendable, Equatable, Codable {
    public var ipxeLkrn: String
    public var ipxeEFI: String
    public var isolinux: String
    public var ldlinux: String
    /// The directory of mtools' `mformat`, `mmd` and `mcopy` (nil: `PATH`).
    public var mtools: String?

    public static let debian = BootISOInputs(
        ipxeLkrn: "/usr/lib/ipxe/ipxe.lkrn", ipxeEFI: "/usr/lib/ipxe/ipxe.efi",
        isolinux: "/usr/lib/ISOLINUX/isolinux.bin", ldlinux: "/usr/lib/syslinux/modules/bios/ldlinux.c32")

    public init(ipxeLkrn: String, ipxeEFI: String, isolinux: String, ldlinux: String, mtools: String? = nil) {
        self.ipxeLkrn = ipxeLkrn
        self.ipxeEFI = ipxeEFI
        self.isolinux = isolinux
        self.ldlinux = ldlinux
        self.mtools = mtools
    }

    enum CodingKeys: String, CodingKey {
        case ipxeLkrn = "ipxe_lkrn", ipxeEFI = "ipxe_efi", isolinux, ldlinux, mtools
    }
}

/// What `BootISOBuilder` made.
public struct BootISOImage: Sendable, Equatable, Codable {
    public var path: String
    public var bytes: UInt64
    public var sha256: String
    public var site: String
    public var razorService: String
    /// The iPXE version read from the binaries (`unknown` when none says).
    public var ipxeVersion: String
    /// True when the `ipxe.efi` used loads `autoexec.ipxe` from the partition
    /// it was started from (iPXE 1.21.1 and later); false: UEFI guests fall
    /// back to iPXE's own DHCP autoboot and never run the script.
    public var efiRunsScript: Bool
    public var volumeSetID: String

    enum CodingKeys: String, CodingKey {
        case path, bytes, sha256, site, razorService = "razor_service", ipxeVersion = "ipxe_version",
             efiRunsScript = "efi_runs_script", volumeSetID = "volume_set_id"
    }
}

/// Makes the hybrid BIOS + UEFI boot ISO with Vizor's own ISO writer:
/// - BIOS: El Torito no-emulation entry for ISOLINUX (4 sectors, boot
///   information table); `isolinux.cfg` loads `ipxe.lkrn` with the script as
///   its initrd, which iPXE runs as its own script.
/// - UEFI: a second El Torito entry (platform 0xEF) names a FAT image made
///   with mtools holding `EFI/BOOT/BOOTX64.EFI` (`ipxe.efi`) and the script
///   as `autoexec.ipxe`.
/// The same inputs give the same bytes: fixed dates (`SOURCE_DATE_EPOCH`
/// for mtools), a fixed FAT serial number, sorted entries.
public struct BootISOBuilder: Sendable {
    /// 2023-11-14 22:13:20 UTC: every date on the ISO and in its FAT image.
    public static let epoch = 1_700_000_000
    public static let label = "VIZOR_IPXE"
    public static let fatSerial = "56495a52"

    public var inputs: BootISOInputs
    public var script: BootISOScript

    public init(inputs: BootISOInputs, script: BootISOScript) {
        self.inputs = inputs
        self.script = script
    }

    /// Builds the ISO at `output` (replaced atomically). `scratch` holds the
    /// FAT image while it is made and is removed afterwards.
    public func build(output: URL, scratch: URL) async throws -> BootISOImage {
        let lkrn = try Self.read(inputs.ipxeLkrn, what: "iPXE's Linux-kernel build (ipxe.lkrn, Debian package ipxe)")
        let efi = try Self.read(inputs.ipxeEFI, what: "iPXE's UEFI build (ipxe.efi, Debian package ipxe)")
        let isolinux = try Self.read(inputs.isolinux, what: "ISOLINUX (isolinux.bin, Debian package isolinux)")
        let ldlinux = try Self.read(inputs.ldlinux, what: "ISOLINUX's ldlinux.c32 (Debian package syslinux-common)")
        let scriptBytes = Array(script.text.utf8)
        let version = Self.ipxeVersion(efi) ?? Self.ipxeVersion(lkrn) ?? "unknown"
        let efiRunsScript = Self.contains(efi, Array("autoexec.ipxe".utf8))

        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        let work = scratch.appendingPathComponent("boot-iso-\(getpid())-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(at: work) }
        let esp = try await makeESP(efi: efi, script: scriptBytes, work: work)

        let volumeSetID = "VIZOR IPXE \(version)"
        let config = """
            # Vizor boot ISO: iPXE (ipxe.lkrn) runs /boot.ipxe, its initrd, as its script.
            DEFAULT vizor
            PROMPT 0
            TIMEOUT 0
            LABEL vizor
              KERNEL /ipxe.lkrn
              INITRD /boot.ipxe

            """
        let about = """
            Vizor boot ISO
            site: \(script.site)
            razor: \(script.razorService)/boot
            ipxe: \(version)
            ipxe.efi runs the script: \(efiRunsScript ? "yes (autoexec.ipxe)" : "no (iPXE before 1.21.1: DHCP autoboot)")
            ipxe.lkrn sha256: \(Self.sha256(lkrn))
            ipxe.efi sha256: \(Self.sha256(efi))
            isolinux.bin sha256: \(Self.sha256(isolinux))
            ldlinux.c32 sha256: \(Self.sha256(ldlinux))

            """
        let files = [
            SampleFile(path: "boot.ipxe", bytes: scriptBytes),
            SampleFile(path: "efi.img", bytes: esp),
            SampleFile(path: "ipxe.lkrn", bytes: lkrn),
            SampleFile(path: "isolinux/isolinux.bin", bytes: isolinux),
            SampleFile(path: "isolinux/isolinux.cfg", text: config),
            SampleFile(path: "isolinux/ldlinux.c32", bytes: ldlinux),
            SampleFile(path: "vizor.txt", text: about),
        ]
        let writer = BridgeISOWriter(
            label: Self.label, files: files,
            boot: SampleBoot(biosImage: "isolinux/isolinux.bin", efiImage: "efi.img", biosLoadSectors: 4, biosInfoTable: true),
            date: Date(timeIntervalSince1970: TimeInterval(Self.epoch)), volumeSetID: volumeSetID,
            applicationID: "VIZOR BOOT ISO")
        let directory = output.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let partial = directory.appendingPathComponent("." + output.lastPathComponent + ".partial-\(getpid())")
        do {
            try writer.write(to: partial)
            guard rename(partial.path, output.path) == 0 else {
                throw BackendError(.invalidInput, backend: provisioningBackendName,
                                   message: "could not move the boot ISO into place at \(output.path): \(String(cString: strerror(errno)))")
            }
        } catch {
            try? FileManager.default.removeItem(at: partial)
            throw BackendError(.invalidInput, backend: provisioningBackendName,
                               message: "could not write the boot ISO to \(output.path): \(error)")
        }
        let written = try Self.read(output.path, what: "the boot ISO just written")
        return BootISOImage(path: output.path, bytes: UInt64(written.count), sha256: Self.sha256(written),
                            site: script.site, razorService: script.razorService, ipxeVersion: version,
                            efiRunsScript: efiRunsScript, volumeSetID: volumeSetID)
    }

    /// The EFI system partition: FAT made by mtools, `SOURCE_DATE_EPOCH`
    /// for every date, a fixed serial number, no user mtools configuration.
    func makeESP(efi: [UInt8], script: [UInt8], work: URL) async throws -> [UInt8] {
        let mib = 1 << 20
        let size = ((efi.count + script.count + 256 * 1024) + mib - 1) / mib * mib
        let image = work.appendingPathComponent("esp.img")
        let loader = work.appendingPathComponent("bootx64.efi")
        let autoexec = work.appendingPathComponent("autoexec.ipxe")
        guard FileManager.default.createFile(atPath: image.path, contents: Data(count: size)),
              FileManager.default.createFile(atPath: loader.path, contents: Data(efi)),
              FileManager.default.createFile(atPath: autoexec.path, contents: Data(script)) else {
            throw BackendError(.invalidInput, backend: provisioningBackendName,
                               message: "could not write the EFI partition's pieces under \(work.path)")
        }
        let environment = [
            "SOURCE_DATE_EPOCH": String(Self.epoch), "TZ": "UTC", "LC_ALL": "C", "MTOOLSRC": "/dev/null",
            "MTOOLS_SKIP_CHECK": "1", "HOME": work.path, "PATH": "/usr/bin:/bin",
        ]
        let steps: [(String, [String])] = [
            ("mformat", ["-i", image.path, "-N", Self.fatSerial, "-v", "VIZOR_EFI", "::"]),
            ("mmd", ["-i", image.path, "::/EFI", "::/EFI/BOOT"]),
            ("mcopy", ["-i", image.path, loader.path, "::/EFI/BOOT/BOOTX64.EFI"]),
            ("mcopy", ["-i", image.path, autoexec.path, "::/EFI/BOOT/autoexec.ipxe"]),
            ("mcopy", ["-i", image.path, autoexec.path, "::/autoexec.ipxe"]),
        ]
        for (tool, arguments) in steps {
            let executable = try Self.locate(tool, in: inputs.mtools)
            let outcome: ChildProcessOutcome
            do {
                outcome = try await ChildProcess(executable, arguments, environment: environment, timeout: .seconds(60)).run()
            } catch {
                throw BackendError(.invalidInput, backend: provisioningBackendName, message: "\(tool) did not run: \(error)")
            }
            guard outcome.succeeded else {
                throw BackendError(.invalidInput, backend: provisioningBackendName,
                                   message: "\(tool) failed making the EFI partition (\(outcome.termination)): "
                                       + outcome.lastErrorLines(3).joined(separator: " / "))
            }
        }
        return try Self.read(image.path, what: "the EFI partition image")
    }

    static func locate(_ tool: String, in directory: String?) throws -> String {
        let candidates = directory.map { [$0] }
            ?? (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init)
        for dir in candidates {
            let path = (dir as NSString).appendingPathComponent(tool)
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw BackendError(.notFound, backend: provisioningBackendName,
                           message: "\(tool) not found\(directory.map { " in \($0)" } ?? " on PATH"): install Debian's mtools (apt-get install mtools)")
    }

    static func read(_ path: String, what: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw BackendError(.notFound, backend: provisioningBackendName,
                               message: "\(what) is not readable at \(path); install the package or name the file in the configuration's boot_iso section")
        }
        return Array(data)
    }

    static func sha256(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else { return false }
        let first = needle[0]
        var i = 0
        while i <= haystack.count - needle.count {
            if haystack[i] == first, Array(haystack[i..<(i + needle.count)]) == needle { return true }
            i += 1
        }
        return false
    }

    /// iPXE's version as its build names it (Debian: `1.0.0+git-20190125.36a4c85-5.1`):
    /// the first NUL-terminated printable run that starts `<digits>.<digits>.<digits>+`.
    static func ipxeVersion(_ bytes: [UInt8]) -> String? {
        var run: [UInt8] = []
        for byte in bytes + [0] {
            if byte >= 0x21 && byte < 0x7F { run.append(byte); continue }
            if byte == 0, run.count >= 6, let text = String(bytes: run, encoding: .ascii), looksLikeVersion(text) { return text }
            run.removeAll(keepingCapacity: true)
        }
        return nil
    }

    static func looksLikeVersion(_ text: String) -> Bool {
        let parts = text.split(separator: "+", maxSplits: 1)
        guard parts.count == 2 else { return false }
        let numbers = parts[0].split(separator: ".", omittingEmptySubsequences: false)
        return numbers.count == 3 && numbers.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isNumber) }
    }
}
