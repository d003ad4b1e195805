import AsyncHTTPClient
import Foundation

/// The image loads of an iPXE script: every `kernel` and `initrd` (and their
/// aliases `imgexec`/`imgfetch`/`module`) with the URL it names.
public struct LabIPXELoad: Sendable, Equatable {
    public var command: String
    public var url: String
    /// The name the image is loaded under (`initrd <url> <name>`), if the line gives one.
    public var givenName: String?

    public init(command: String, url: String, givenName: String? = nil) {
        self.command = command
        self.url = url
        self.givenName = givenName
    }

    /// The name wimboot knows the image by: the given one, else the URL's last path segment.
    public var name: String {
        if let givenName { return givenName }
        let path = url.split(separator: "?", maxSplits: 1).first.map(String.init) ?? url
        return path.split(separator: "/").last.map(String.init) ?? path
    }

    /// The loads in script order. Options (`--name x`) are skipped; the first
    /// other word is the URL; `||` / `&&` end the command.
    public static func loads(in script: String) -> [LabIPXELoad] {
        let commands: Set<String> = ["kernel", "initrd", "imgexec", "imgfetch", "module"]
        var found: [LabIPXELoad] = []
        for line in script.split(whereSeparator: \.isNewline) {
            var words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            if let end = words.firstIndex(where: { $0 == "||" || $0 == "&&" }) { words.removeSubrange(end...) }
            guard let command = words.first, commands.contains(command) else { continue }
            var rest = words.dropFirst()
            var named: String?
            while let word = rest.first, word.hasPrefix("-") {
                rest = rest.dropFirst()
                if word == "-n" || word == "--name" {
                    named = rest.first
                    rest = rest.dropFirst()
                } else if word.hasPrefix("--name=") {
                    named = String(word.dropFirst("--name=".count))
                } else if word.hasPrefix("--"), !word.contains("="), word != "--autofree", word != "--replace", word != "--timeout" {
                    // Other `--option x` take a value; `--option=x` and `-a` flags do not.
                    rest = rest.dropFirst()
                }
            }
            guard let url = rest.first else { continue }
            // An initrd's first argument is the name wimboot gives the file.
            if named == nil, command != "kernel", command != "imgexec" { named = rest.dropFirst().first }
            found.append(LabIPXELoad(command: command, url: url, givenName: named))
        }
        return found
    }

    /// Whether the script's `:failed` label (where `|| goto failed` jumps) leads to a `reboot`.
    public static func failureReboots(_ script: String) -> Bool {
        let lines = script.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        guard let label = lines.firstIndex(of: ":failed") else { return false }
        return lines[(label + 1)...].contains { $0.split(separator: " ").first == "reboot" }
    }

    /// The URL as status lines show it: the job token's value is not repeated.
    public var shownURL: String { Self.redacted(url) }

    static func redacted(_ url: String) -> String {
        guard let range = url.range(of: "token=") else { return url }
        let end = url[range.upperBound...].firstIndex(where: { $0 == "&" || $0 == "#" }) ?? url.endIndex
        return url.replacingCharacters(in: range.upperBound..<end, with: "…")
    }
}

/// One image iPXE loaded: the name wimboot sees it under (the `initrd`'s
/// second word, else the URL's last path segment) and its bytes as far as
/// the lab read them.
struct LabIPXEImage: Sendable {
    var command: String
    var url: String
    var name: String
    var body: [UInt8]
}

extension LabGuestSimulator {
    /// How much of each image the simulated loader reads: enough to prove the
    /// file is served, and all of the files wimboot injects (a few KiB). iPXE
    /// reads every image whole; the lab stops reading the big ones there.
    static let ipxeReadLimit = 64 * 1024

    /// Runs the image loads of a script the way iPXE does, in order, each a
    /// plain HTTP GET, as iPXE sends it. The first load that fails ends
    /// the script's happy path: as with `|| goto failed`, the guest goes to
    /// the `:failed` branch, where Vizor's script waits and reboots; the
    /// activity names the URL and the answer meanwhile. Returns the loaded
    /// images, or nil when a load failed.
    func ipxeLoad(_ key: String, script: String) async throws -> [LabIPXEImage]? {
        var images: [LabIPXEImage] = []
        for load in LabIPXELoad.loads(in: script) {
            setActivity(key, "iPXE: \(load.command) \(load.shownURL)")
            let answer = await LabGuestHTTP.get(load.url, client: .ipxe, limit: Self.ipxeReadLimit)
            try Task.checkCancellation()
            tracked[key]?.fetches.append("\(answer.status.map(String.init) ?? "error") \(load.shownURL)")
            if let failure = answer.failure {
                setActivity(key, "iPXE: \(load.command) \(load.shownURL) failed: \(failure); boot failed, waiting in the script's :failed branch")
                return nil
            }
            images.append(LabIPXEImage(command: load.command, url: load.url, name: load.name, body: answer.body))
        }
        return images
    }
}

/// What iPXE's `boot` does with the kernel image it loaded, by firmware:
/// under BIOS, iPXE starts an image with a Linux boot header (`HdrS` at
/// 0x202, as wimboot has); under UEFI, the firmware's `LoadImage` starts a
/// PE/COFF EFI application of its own machine width only (x86_64 on 64-bit
/// UEFI, i386 on 32-bit UEFI). Anything else fails with iPXE's "Exec format
/// error", and the script's `boot || goto failed` goes to `:failed`.
public enum LabIPXEBoot {
    public enum Firmware: Sendable, Equatable {
        case bios
        case uefi(LabGuestUEFIWidth)
    }

    /// Why the firmware cannot start `image`, nil when it can.
    public static func refusal(_ image: [UInt8], name: String, firmware: Firmware) -> String? {
        func u16(_ offset: Int) -> Int? {
            offset >= 0 && offset + 2 <= image.count ? Int(image[offset]) | Int(image[offset + 1]) << 8 : nil
        }
        switch firmware {
        case .bios:
            let header = image.count >= 0x206 && Array(image[0x202..<0x206]) == Array("HdrS".utf8)
            return header ? nil : "\(name) has no Linux boot header, so iPXE under BIOS cannot start it (Exec format error)"
        case .uefi(let width):
            guard image.count >= 0x40, image[0] == 0x4d, image[1] == 0x5a, let low = u16(0x3c), let high = u16(0x3e) else {
                return "\(name) is not a PE/COFF image, so the UEFI firmware cannot start it (Exec format error)"
            }
            let header = low | high << 16
            guard header + 24 <= image.count, Array(image[header..<(header + 4)]) == Array("PE\0\0".utf8),
                  let machine = u16(header + 4), let optional = u16(header + 20), optional >= 70,
                  let subsystem = u16(header + 24 + 68) else {
                return "\(name) is not a PE/COFF image, so the UEFI firmware cannot start it (Exec format error)"
            }
            guard subsystem == 10 else { return "\(name) is not an EFI application (subsystem \(subsystem)) (Exec format error)" }
            let wanted = width == .x64 ? 0x8664 : 0x014c
            guard machine == wanted else {
                let found = machine == 0x8664 ? "an x86_64" : machine == 0x014c ? "an i386" : "a machine 0x\(String(machine, radix: 16))"
                let firmware = width == .x64 ? "64-bit (x64)" : "32-bit (IA32)"
                return "\(name) is \(found) EFI application, which \(firmware) UEFI firmware cannot start (Exec format error)"
            }
            return nil
        }
    }
}
