import BackendKit
import Foundation
import Testing
import VizorChildProcess
import VizorProvisioning

/// The built ISO as an independent reader (pycdlib) sees it, and the promise
/// that the same inputs give the same bytes.
@Suite struct BootISOBuildTests {
    static let judge = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Support/iso_judge.py").path

    func withScratch<T>(_ body: (URL) async throws -> T) async throws -> T {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vizor-bootiso-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        return try await body(dir)
    }

    func build(_ razor: String, site: String = "prod", to path: URL, scratch: URL,
               inputs: BootISOInputs = .debian) async throws -> BootISOImage {
        let service = try #require(BootISOScript.serviceBase(razor))
        return try await BootISOBuilder(inputs: inputs, script: BootISOScript(razorService: service, site: site))
            .build(output: path, scratch: scratch)
    }

    @Test func theSameInputsGiveTheSameBytes() async throws {
        try await withScratch { dir in
            let clock = ContinuousClock()
            let started = clock.now
            let first = try await build("http://razor.example:8150/api", to: dir.appendingPathComponent("one/ipxe.iso"),
                                        scratch: dir.appendingPathComponent("s1"))
            let took = clock.now - started
            // A second build, elsewhere and a moment later, from the same inputs.
            try await Task.sleep(for: .milliseconds(1100))
            let second = try await build("http://razor.example:8150/api", to: dir.appendingPathComponent("two/ipxe.iso"),
                                         scratch: dir.appendingPathComponent("s2"))
            let one = try #require(FileManager.default.contents(atPath: first.path))
            let two = try #require(FileManager.default.contents(atPath: second.path))
            #expect(one == two)
            #expect(first.sha256 == second.sha256)
            #expect(first.bytes == UInt64(one.count))
            print("boot ISO: \(first.bytes) bytes, sha256 \(first.sha256), built in \(took)")
            // Another Razor is another script, so other bytes.
            let other = try await build("http://razor.example:8151", to: dir.appendingPathComponent("three/ipxe.iso"),
                                        scratch: dir.appendingPathComponent("s3"))
            #expect(other.sha256 != first.sha256)
        }
    }

    @Test func anIndependentReaderSeesBothBootEntriesAndTheBootInformationTable() async throws {
        try await withScratch { dir in
            let image = try await build("http://10.0.2.2:8150/svc/", site: "lab2", to: dir.appendingPathComponent("ipxe.iso"),
                                        scratch: dir)
            let outcome = try await ChildProcess("/usr/bin/env", ["python3", Self.judge, image.path], timeout: .seconds(60)).run()
            try #require(outcome.succeeded, "iso_judge.py: \(outcome.errorText)")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(outcome.standardOutput)) as? [String: Any])
            #expect(report["volume_set"] as? String == "VIZOR IPXE " + image.ipxeVersion)
            #expect(image.ipxeVersion.hasPrefix("1."))
            let catalog = try #require(report["catalog"] as? [[String: Any]])
            try #require(catalog.count == 2)
            let table = try #require(report["info_table"] as? [String: Any])
            // BIOS: no emulation, 4 sectors of isolinux.bin, whose table names itself and the PVD.
            #expect(catalog[0]["platform"] as? Int == 0)
            #expect(catalog[0]["bootable"] as? Bool == true)
            #expect(catalog[0]["media"] as? Int == 0)
            #expect(catalog[0]["sectors"] as? Int == 4)
            #expect(catalog[0]["lba"] as? Int == table["isolinux_lba"] as? Int)
            #expect(table["pvd"] as? Int == 16)
            #expect(table["file_lba"] as? Int == table["isolinux_lba"] as? Int)
            #expect(table["length"] as? Int == table["isolinux_length"] as? Int)
            #expect(table["checksum_ok"] as? Bool == true)
            // UEFI: platform 0xEF, no emulation, the whole FAT image.
            let efi = try #require(report["efi_img"] as? [String: Any])
            #expect(catalog[1]["platform"] as? Int == 0xEF)
            #expect(catalog[1]["media"] as? Int == 0)
            #expect(catalog[1]["lba"] as? Int == efi["lba"] as? Int)
            #expect((catalog[1]["sectors"] as? Int).map { $0 * 512 } == efi["bytes"] as? Int)
            #expect(report["root"] as? [String] == [".", "..", "boot.ipxe;1", "efi.img;1", "ipxe.lkrn;1", "isolinux", "vizor.txt;1"])
            #expect((report["isolinux_cfg"] as? String)?.contains("KERNEL /ipxe.lkrn\n  INITRD /boot.ipxe") == true)
            #expect(report["script"] as? String == BootISOScript(razorService: "http://10.0.2.2:8150/svc", site: "lab2").text)
            let about = try #require(report["vizor_txt"] as? String)
            #expect(about.contains("ipxe: \(image.ipxeVersion)"))
            #expect(about.contains("razor: http://10.0.2.2:8150/svc/boot"))
        }
    }

    @Test func theEFIPartitionHoldsTheLoaderAndTheScript() async throws {
        try await withScratch { dir in
            let image = try await build("http://razor.example:8150", to: dir.appendingPathComponent("ipxe.iso"), scratch: dir)
            let iso = try #require(FileManager.default.contents(atPath: image.path))
            // The FAT image starts where the EFI catalog entry points; read it back with mtools.
            let catalogSector = Int(iso[32768 + 2048 + 71]) | Int(iso[32768 + 2048 + 72]) << 8
            let entry = catalogSector * 2048 + 64 + 32
            let lba = Int(iso[entry + 8]) | Int(iso[entry + 9]) << 8 | Int(iso[entry + 10]) << 16
            let sectors = Int(iso[entry + 6]) | Int(iso[entry + 7]) << 8
            let fat = dir.appendingPathComponent("esp.img")
            try Data(iso[(lba * 2048)..<(lba * 2048 + sectors * 512)]).write(to: fat)
            let loader = dir.appendingPathComponent("loader.efi")
            let copy = try await ChildProcess("/usr/bin/mcopy", ["-n", "-i", fat.path, "::/EFI/BOOT/BOOTX64.EFI", loader.path],
                                              environment: ["MTOOLS_SKIP_CHECK": "1", "PATH": "/usr/bin:/bin"]).run()
            try #require(copy.succeeded, "mcopy: \(copy.errorText)")
            #expect(FileManager.default.contents(atPath: loader.path) == FileManager.default.contents(atPath: BootISOInputs.debian.ipxeEFI))
            for path in ["::/autoexec.ipxe", "::/EFI/BOOT/autoexec.ipxe"] {
                let script = try await ChildProcess("/usr/bin/mtype", ["-i", fat.path, path],
                                                    environment: ["MTOOLS_SKIP_CHECK": "1", "PATH": "/usr/bin:/bin"]).run()
                #expect(script.output == BootISOScript(razorService: "http://razor.example:8150/svc", site: "prod").text, "\(path)")
            }
        }
    }

    @Test func aMissingPieceIsNamedWithItsPackage() async throws {
        try await withScratch { dir in
            var inputs = BootISOInputs.debian
            inputs.isolinux = dir.appendingPathComponent("no-such/isolinux.bin").path
            do {
                _ = try await build("http://razor.example:8150", to: dir.appendingPathComponent("ipxe.iso"), scratch: dir, inputs: inputs)
                Issue.record("a build without isolinux.bin succeeded")
            } catch let error as BackendError {
                #expect(error.kind == .notFound)
                #expect(error.message.contains("no-such/isolinux.bin"))
                #expect(error.message.contains("Debian package isolinux"))
            }
            #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("ipxe.iso").path))
        }
    }

    @Test func theScriptTriesEveryNICSaysWhichRazorFailedAndStartsOver() {
        let script = BootISOScript(razorService: "http://razor.example:8150/svc", site: "prod", nicMax: 2).text
        let lines = script.split(separator: "\n").map(String.init)
        #expect(lines.first == "#!ipxe")
        #expect(lines.contains("set vizor-razor http://razor.example:8150/svc/boot"))
        for nic in 0..<2 {
            #expect(lines.filter { $0.hasPrefix("dhcp net\(nic) ") }.count == 2)
            #expect(lines.contains { $0.hasPrefix("chain ${vizor-razor}?net\(nic)=${net\(nic)/mac:hexhyp}&dhcp_mac=${net\(nic)/mac:hexhyp}") })
            #expect(lines.contains { $0.contains("|| echo Vizor: Razor at ${vizor-razor} failed from net\(nic)") })
        }
        #expect(!lines.contains { $0.contains("net2") })
        // The last word is a pause and a new round, never a stop.
        #expect(Array(lines.suffix(3)) == ["echo Vizor: no NIC reached Razor at ${vizor-razor}; trying again in 10 s", "sleep 10", "goto round"])
        #expect(BootISOScript.serviceBase("http://h:8150/api/") == "http://h:8150/svc")
        #expect(BootISOScript.serviceBase("https://h/svc") == "https://h/svc")
        #expect(BootISOScript.serviceBase("ftp://h") == nil)
        #expect(BootISOScript.serviceBase("http://h/x y") == nil)
    }
}
