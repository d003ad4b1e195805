import Foundation
import VizorMedia

/// Catalogues 50 generated Windows ISOs of realistic apparent sizes (sparse)
/// with Vizor's metadata reader, cold and warm, and beside it the pipeline an
/// operator would otherwise run (7z extracting sources/install.wim, then
/// wiminfo) on a few of the same ISOs, as a ratio.
enum MediaCatalogBench {
    static func run() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vizor-bench-media-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let version = WindowsVersion(major: 10, minor: 0, build: 22621, spBuild: 2283)
        var urls: [URL] = []
        var generator = SplitMix(seed: 42)
        for number in 0..<50 {
            let installSize = 300 * (1 << 20) + generator.next() % (6 << 30)
            let editions = (0..<(1 + Int(generator.next() % 10))).map { index in
                SampleWIMImage(name: "Windows 11 Edition \(index + 1)", editionID: "Edition\(index + 1)",
                               architecture: .x64, languages: ["en-US", "de-DE"], version: version)
            }
            let wim = SampleWIMWriter.layout(images: editions, size: installSize)
            let files = [
                SampleFile(path: "setup.exe", bytes: Array("MZ".utf8)),
                SampleFile(path: "boot/etfsboot.com", bytes: [UInt8](repeating: 0x90, count: 4096)),
                SampleFile(path: "sources/boot.wim", size: 500 << 20, runs: []),
                SampleFile(path: "sources/install.wim", size: wim.size, runs: wim.runs.map { (offset: $0.0, bytes: $0.1) }),
                SampleFile(path: "sources/lang.ini", text: "[Available UI Languages]\r\nen-US = 3\r\nde-DE = 0\r\n"),
            ] + (0..<120).map { SampleFile(path: "sources/file\($0).dll", bytes: Array("MZ".utf8)) }
            let url = directory.appendingPathComponent(String(format: "win-%02d.iso", number))
            try BridgeISOWriter(label: "CCCOMA_X64FRE_EN-US_DV9", files: files,
                                boot: SampleBoot(biosImage: "boot/etfsboot.com")).write(to: url)
            urls.append(url)
        }
        let sizes = urls.map { (try? FileManager.default.attributesOfItem(atPath: $0.path)[.size] as? UInt64) ?? 0 }
        print(String(format: "library: 50 ISOs, %.1f GiB apparent, %.2f to %.2f GiB each",
                     Double(sizes.reduce(0, +)) / Double(1 << 30), Double(sizes.min() ?? 0) / Double(1 << 30),
                     Double(sizes.max() ?? 0) / Double(1 << 30)))

        for url in urls { dropCache(url) }
        let analyzer = MediaAnalyzer()
        var start = Date()
        let cold = urls.map { analyzer.analyze($0) }
        let coldSeconds = Date().timeIntervalSince(start)
        start = Date()
        let warm = urls.map { analyzer.analyze($0) }
        let warmSeconds = Date().timeIntervalSince(start)
        let failures = (cold + warm).filter { $0.error != nil }.count
        let bytes = cold.map(\.bytesRead)
        print(String(format: "vizor: bytes read per ISO mean %.1f KiB, max %.1f KiB (budget 256 KiB); %d errors",
                     Double(bytes.reduce(0, +)) / 50 / 1024, Double(bytes.max() ?? 0) / 1024, failures))
        print(String(format: "vizor: cold %.1f ISOs/s (%.3f s), warm %.1f ISOs/s (%.3f s)",
                     50 / coldSeconds, coldSeconds, 50 / warmSeconds, warmSeconds))

        // Reference: 7z extracts install.wim, wiminfo reads it; on the 3 smallest ISOs.
        let smallest = zip(urls, sizes).sorted { $0.1 < $1.1 }.prefix(3)
        var referenceSeconds = 0.0
        var referenceBytes: UInt64 = 0
        for (url, _) in smallest {
            dropCache(url)
            let out = directory.appendingPathComponent("extract")
            start = Date()
            try run("7z", ["e", "-tudf", "-y", "-o\(out.path)", url.path, "sources/install.wim"])
            try run("wiminfo", [out.appendingPathComponent("install.wim").path])
            referenceSeconds += Date().timeIntervalSince(start)
            referenceBytes += (try FileManager.default.attributesOfItem(atPath: out.appendingPathComponent("install.wim").path)[.size] as? UInt64) ?? 0
            try FileManager.default.removeItem(at: out)
        }
        let referencePerISO = referenceSeconds / Double(smallest.count)
        let smallestVizor = smallest.map { item in cold[urls.firstIndex(of: item.0)!] }
        start = Date()
        for (url, _) in smallest { dropCache(url); _ = analyzer.analyze(url) }
        let vizorPerISO = Date().timeIntervalSince(start) / Double(smallest.count)
        print(String(format: "reference (7z e install.wim + wiminfo), 3 smallest ISOs: %.3f s/ISO, %.1f MiB read/ISO",
                     referencePerISO, Double(referenceBytes) / Double(smallest.count) / Double(1 << 20)))
        print(String(format: "vizor on the same 3 ISOs (cold): %.4f s/ISO, %.1f KiB read/ISO",
                     vizorPerISO, Double(smallestVizor.map(\.bytesRead).reduce(0, +)) / Double(smallest.count) / 1024))
        print(String(format: "ratio: vizor is %.0fx faster and reads %.0fx fewer bytes than the reference",
                     referencePerISO / max(vizorPerISO, 1e-9),
                     Double(referenceBytes) / Double(max(1, smallestVizor.map(\.bytesRead).reduce(0, +)))))
    }

    static func dropCache(_ url: URL) {
        let fd = open(url.path, O_RDONLY)
        guard fd >= 0 else { return }
        _ = posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_DONTNEED))
        close(fd)
    }

    static func run(_ tool: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "\(tool) failed"])
        }
    }
}

/// Deterministic sizes for the generated library.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
