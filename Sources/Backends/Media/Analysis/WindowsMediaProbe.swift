import Foundation

/// Recognises Windows install and language-pack media from the files Setup
/// itself relies on: `sources/install.{wim,esd,swm}`, `boot.wim`, `lang.ini`,
/// `idwbinfo.txt`, and language-pack CABs.
struct WindowsMediaProbe {
    let tree: any MediaTree

    static let installNames = ["install.wim", "install.esd", "install.swm"]
    static let languagePackFolders = ["langpacks", "x64/langpacks", "x86/langpacks", "arm64/langpacks",
                                      "LanguagesAndOptionalFeatures", "x64/LanguagesAndOptionalFeatures"]

    func probe(into image: inout MediaImage) throws {
        let sources = try tree.names(in: "sources", caseInsensitive: true) ?? []
        let present = Set(sources.filter { !$0.isDirectory }.map { $0.name.lowercased() })
        if let name = Self.installNames.first(where: present.contains),
           let entry = try tree.entry(at: "sources/" + name, caseInsensitive: true) {
            image.installImagePath = entry.path
            do {
                let info = try WIMReader.read(EntryByteSource(entry: entry, image: tree.source))
                image.editions = info.images.map(Edition.init)
                image.installImageSolid = info.header.isSolid
                image.installImageEncrypted = info.isEncrypted
                image.installImageParts = Int(info.header.totalParts)
            } catch {
                image.error = "\(entry.path): \(MediaAnalyzer.message(error))"
            }
        }
        image.hasBootWIM = present.contains("boot.wim")
        if present.contains("lang.ini"), let text = try tree.text(at: "sources/lang.ini") {
            image.mediaLanguages = INI.sections(text)
                .first { $0.name.caseInsensitiveCompare("Available UI Languages") == .orderedSame }?
                .entries.map { Self.languageTag($0.key) } ?? []
        }
        if present.contains("idwbinfo.txt"), let text = try tree.text(at: "sources/idwbinfo.txt") {
            image.buildLab = INI.value(text, section: "BUILDINFO", key: "BuildLab")
            image.buildArchitecture = INI.value(text, section: "BUILDINFO", key: "BuildArch")
                .flatMap(WindowsArchitecture.init(buildArch:))
        }
        if image.installImagePath != nil || image.hasBootWIM {
            image.kind = .windows
            return
        }
        let packs = try languagePacks(image)
        if !packs.isEmpty {
            image.languagePacks = packs
            image.kind = .languagePack
        }
    }

    private func languagePacks(_ image: MediaImage) throws -> [LanguagePack] {
        let build = Self.build(from: image.buildLab) ?? Self.build(from: image.volumeLabel)
            ?? Self.build(from: URL(fileURLWithPath: image.path).lastPathComponent)
        var packs: [LanguagePack] = []
        var searched = Set<String>()
        for folder in Self.languagePackFolders {
            guard let names = try tree.names(in: folder, caseInsensitive: true) else { continue }
            let key = folder.lowercased()
            guard searched.insert(key).inserted else { continue }
            let folderArch = folder.split(separator: "/").first.flatMap { WindowsArchitecture(buildArch: String($0)) }
            for item in names {
                let lower = item.name.lowercased()
                if item.isDirectory, folder.lowercased().hasSuffix("langpacks"), Self.looksLikeLanguage(lower) {
                    // Older layout: langpacks/<ll-cc>/lp.cab
                    let lp = "\(folder)/\(item.name)/lp.cab"
                    if try tree.has(lp) {
                        packs.append(LanguagePack(language: Self.languageTag(item.name),
                                                  architecture: folderArch ?? image.buildArchitecture,
                                                  build: build, path: lp))
                    }
                    continue
                }
                guard lower.hasSuffix(".cab"), let marker = lower.range(of: "language-pack_") else { continue }
                let tail = lower[marker.upperBound...].dropLast(4).split(separator: "_")
                guard tail.count == 2, Self.looksLikeLanguage(String(tail[1])) else { continue }
                packs.append(LanguagePack(language: Self.languageTag(String(tail[1])),
                                          architecture: WindowsArchitecture(buildArch: String(tail[0])),
                                          build: build, path: "\(folder)/\(item.name)"))
            }
        }
        return packs
    }

    /// `en-us` -> `en-US`, `sr-latn-rs` -> `sr-Latn-RS`.
    static func languageTag(_ raw: String) -> String {
        let parts = raw.split(separator: "-").map(String.init)
        guard parts.count > 1 else { return raw.lowercased() }
        return ([parts[0].lowercased()] + parts.dropFirst().map { part in
            part.count == 4 ? part.prefix(1).uppercased() + part.dropFirst().lowercased() : part.uppercased()
        }).joined(separator: "-")
    }

    static func looksLikeLanguage(_ text: String) -> Bool {
        let parts = text.split(separator: "-")
        return parts.count >= 2 && parts.count <= 3 && parts.allSatisfy { $0.count >= 2 && $0.count <= 4 }
            && parts.allSatisfy { $0.allSatisfy(\.isLetter) }
    }

    /// A Windows build number at the start of a BuildLab, label or file name.
    static func build(from text: String?) -> Int? {
        guard let text else { return nil }
        let digits = text.prefix { $0.isNumber }
        guard digits.count >= 4, let value = Int(digits), value >= 2600, value < 100_000 else { return nil }
        return value
    }
}

/// Recognises Linux install media by the identity files distributions write
/// (`.disk/info`, `.treeinfo`, `.discinfo`) and their boot layouts.
struct LinuxMediaProbe {
    let tree: any MediaTree

    static let markers = ["isolinux/isolinux.cfg", "boot/grub/grub.cfg", "casper", "live", "install.amd",
                          "install", "images/pxeboot", "EFI/BOOT/grub.cfg", "boot/grub/loopback.cfg"]
    static let architectures = ["amd64", "x86_64", "i386", "i686", "arm64", "aarch64", "armhf", "ppc64el",
                                "ppc64le", "s390x", "riscv64"]

    func probe(into image: inout MediaImage) throws {
        if let info = try tree.text(at: ".disk/info", limit: 4096) {
            image.linux = Self.parseFreeText(info, evidence: ".disk/info")
        } else if let treeinfo = try tree.text(at: ".treeinfo") {
            let name = INI.value(treeinfo, section: "release", key: "name")
                ?? INI.value(treeinfo, section: "product", key: "name")
                ?? INI.value(treeinfo, section: "general", key: "family")
            let version = INI.value(treeinfo, section: "release", key: "version")
                ?? INI.value(treeinfo, section: "product", key: "version")
                ?? INI.value(treeinfo, section: "general", key: "version")
            let arch = INI.value(treeinfo, section: "tree", key: "arch")
                ?? INI.value(treeinfo, section: "general", key: "arch")
            image.linux = LinuxIdentity(distribution: name, version: version, architecture: arch, evidence: ".treeinfo")
        } else if let discinfo = try tree.text(at: ".discinfo", limit: 4096) {
            let lines = discinfo.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            image.linux = LinuxIdentity(distribution: nil, version: lines.count > 1 ? lines[1] : nil,
                                        architecture: lines.count > 2 ? lines[2] : nil, evidence: ".discinfo")
        } else {
            var found = false
            for marker in Self.markers where try tree.has(marker) {
                found = true
                break
            }
            guard found else { return }
            image.linux = Self.parseFreeText(image.volumeLabel ?? "", evidence: "volume id")
        }
        image.kind = .linux
    }

    /// `Debian GNU/Linux 12.5.0 "Bookworm" - Official amd64 NETINST ...`, or a volume id `Debian 12.5.0 amd64 n`.
    static func parseFreeText(_ text: String, evidence: String) -> LinuxIdentity {
        let line = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        let words = line.split(separator: " ").map(String.init)
        let versionIndex = words.firstIndex { word in
            word.first?.isNumber == true && word.contains(where: { $0 == "." }) || Int(word) != nil
        }
        let distribution = words.prefix(upTo: versionIndex ?? min(words.count, 2)).joined(separator: " ")
        let version = versionIndex.map { words[$0] }
        let arch = words.first { architectures.contains($0.lowercased()) }
        return LinuxIdentity(distribution: distribution.isEmpty ? nil : distribution, version: version,
                             architecture: arch, evidence: evidence)
    }
}
