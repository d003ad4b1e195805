import Foundation
@testable import VizorMedia

/// One edition to capture with wimlib-imagex.
struct EditionSpec {
    var name: String
    var edition: String
    var arch: Int
    var languages: [String]
    var build: Int
    var spBuild: Int = 1
    var installationType = "Client"
}

/// Windows-like fixtures made by the independent tools: wimlib-imagex for
/// the WIM, genisoimage -udf for the ISO 9660 + UDF 1.02 bridge.
enum WindowsFixture {
    static func captureWIM(_ scratch: Scratch, editions: [EditionSpec], output: URL,
                           extra: [String] = [], content: URL? = nil) throws {
        let payload = content ?? scratch.path("payload")
        if content == nil { try scratch.write("payload/Windows/readme.txt", "not a real Windows") }
        for (offset, spec) in editions.enumerated() {
            var arguments = [offset == 0 ? "capture" : "append", payload.path, output.path, spec.name,
                             "\(spec.name) description", "--flags=\(spec.edition)"]
            var properties = ["WINDOWS/ARCH=\(spec.arch)", "WINDOWS/EDITIONID=\(spec.edition)",
                              "WINDOWS/INSTALLATIONTYPE=\(spec.installationType)",
                              "WINDOWS/PRODUCTNAME=Microsoft® Windows® Operating System",
                              "DISPLAYNAME=\(spec.name)", "WINDOWS/VERSION/MAJOR=10", "WINDOWS/VERSION/MINOR=0",
                              "WINDOWS/VERSION/BUILD=\(spec.build)", "WINDOWS/VERSION/SPBUILD=\(spec.spBuild)"]
            for (number, language) in spec.languages.enumerated() {
                properties.append("WINDOWS/LANGUAGES/LANGUAGE[\(number + 1)]=\(language)")
            }
            if let first = spec.languages.first { properties.append("WINDOWS/LANGUAGES/DEFAULT=\(first)") }
            for property in properties { arguments += ["--image-property", property] }
            try Tool.run("wimlib-imagex", arguments + (offset == 0 ? extra : []))
        }
    }

    /// A Windows-shaped ISO: setup files, sources/{install.*,boot.wim,lang.ini,idwbinfo.txt},
    /// a BIOS El Torito entry, written by genisoimage as a UDF 1.02 bridge.
    static func iso(_ scratch: Scratch, name: String, installName: String = "install.wim", wim: URL,
                    label: String = "CCCOMA_X64FRE_EN-US_DV9", languages: [String] = ["en-US"],
                    buildArch: String = "amd64", extraArguments: [String] = []) throws -> URL {
        let tree = "iso-\(name)"
        try FileManager.default.createDirectory(at: scratch.path("\(tree)/sources"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: wim, to: scratch.path("\(tree)/sources/\(installName)"))
        try scratch.write("\(tree)/sources/boot.wim", "placeholder boot.wim")
        try scratch.write("\(tree)/setup.exe", "MZ")
        try scratch.write("\(tree)/boot/etfsboot.com", Data(repeating: 0xEB, count: 4096))
        var lang = "\r\n[Available UI Languages]\r\n"
        for (number, language) in languages.enumerated() { lang += "\(language.lowercased()) = \(number == 0 ? 3 : 0)\r\n" }
        lang += "\r\n[Fallback Languages]\r\nen-us = en-us\r\n"
        try scratch.write("\(tree)/sources/lang.ini", lang)
        try scratch.write("\(tree)/sources/idwbinfo.txt",
                          "[BUILDINFO]\r\nBuildArch=\(buildArch)\r\nBuildBranch=ni_release\r\nBuildLab=22621.ni_release.220506-1250\r\n")
        let output = scratch.path("\(name).iso")
        try Tool.run("genisoimage", ["-quiet", "-udf", "-J", "-joliet-long", "-iso-level", "3", "-V", label,
                                     "-b", "boot/etfsboot.com", "-no-emul-boot", "-boot-load-size", "8",
                                     "-o", output.path] + extraArguments + [scratch.path(tree).path])
        return output
    }
}

/// `wiminfo` output, image by image, as the oracle for the WIM reader.
enum WimInfoOracle {
    static func images(_ wim: URL) throws -> [[String: String]] {
        let text = try Tool.run("wiminfo", [wim.path])
        var images: [[String: String]] = []
        var inImages = false
        for line in text.split(separator: "\n") {
            if line.hasPrefix("Available Images") { inImages = true; continue }
            guard inImages, let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if key == "Index" { images.append([:]) }
            guard !images.isEmpty else { continue }
            images[images.count - 1][key] = value
        }
        return images
    }

    static func architecture(_ arch: WindowsArchitecture?) -> String? {
        switch arch {
        case .x86: return "x86"
        case .x64: return "x86_64"
        case .arm64: return "ARM64"
        case .arm: return "ARM"
        case .ia64: return "ia64"
        case nil: return nil
        }
    }

    /// wimlib prints times like `Sun Nov 29 01:22:41 2026 UTC`, the day with
    /// two digits (`Mon Dec 07`: strftime's %d).
    static func time(_ date: Date?) -> String? {
        guard let date else { return nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE MMM dd HH:mm:ss yyyy 'UTC'"
        return formatter.string(from: date)
    }

    static func collapse(_ text: String?) -> String? {
        text?.split(separator: " ").joined(separator: " ")
    }
}
