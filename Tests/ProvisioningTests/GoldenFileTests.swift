import BackendKit
import Foundation
import Testing
import VizorProvisioning

/// Every artefact of every case equals its golden file. Re-record with
/// `VIZOR_RECORD_GOLDEN=1 swift test --filter ProvisioningTests`.
@Suite struct GoldenFileTests {
    static let recording = ProcessInfo.processInfo.environment["VIZOR_RECORD_GOLDEN"] == "1"

    @Test(arguments: Fixtures.cases)
    func renderedArtefactsMatchGoldenFiles(_ goldenCase: Fixtures.GoldenCase) throws {
        let bundle = try Fixtures.bundle(goldenCase)
        let directory = Fixtures.goldenDirectory.appendingPathComponent(goldenCase.name)
        let manager = FileManager.default
        if Self.recording {
            try? manager.removeItem(at: directory)
            try manager.createDirectory(at: directory, withIntermediateDirectories: true)
            for artefact in bundle.artefacts.values {
                try Data(artefact.body).write(to: directory.appendingPathComponent(artefact.name))
            }
        }
        let onDisk = try manager.contentsOfDirectory(atPath: directory.path).sorted()
        #expect(onDisk == bundle.names, "golden files and rendered artefacts differ in names")
        for name in bundle.names {
            let golden = try Data(contentsOf: directory.appendingPathComponent(name))
            let rendered = Data(bundle.artefacts[name]!.body)
            #expect(golden == rendered, "\(goldenCase.name)/\(name) differs from its golden file")
        }
    }

    @Test func renderingIsDeterministic() throws {
        for goldenCase in Fixtures.cases {
            #expect(try Fixtures.bundle(goldenCase) == Fixtures.bundle(goldenCase))
        }
    }

    /// Finding 12: each case boots from media of its own image (architecture and
    /// edition), so the golden files would show an architecture or media mismatch.
    @Test(arguments: Fixtures.cases)
    func eachCaseBootsTheMediaOfItsOwnImage(_ goldenCase: Fixtures.GoldenCase) throws {
        let bundle = try Fixtures.bundle(goldenCase)
        let image = goldenCase.spec.image.imageID
        let loads = bundle.artefacts["boot.ipxe"]!.text.split(separator: "\n").filter { $0.hasPrefix("initrd ") }
        let media = loads.filter { $0.contains("/media/") }
        #expect(media.count == 4)
        #expect(media.allSatisfy { $0.contains("/media/\(image)/") }, "\(goldenCase.name) boots media of another image")
        let share = #"set "VZ_SHARE=\\192.0.2.10\vizor-"# + image + "\""
        #expect(bundle.artefacts["vizor-winpe.cmd"]!.text.contains(share), "\(goldenCase.name) maps another image's share")
    }

    @Test func casesCoverFirmwareArchitectureLanguagePacksAndCustomSteps() {
        let specs = Fixtures.cases.map(\.spec)
        for firmware in [Firmware.bios, .uefi] {
            for arch in [WindowsArchitecture.x86, .amd64] {
                #expect(specs.contains { $0.firmware == firmware && $0.image.editions.first?.architecture == arch })
            }
        }
        #expect(specs.contains { !$0.languagePacks.isEmpty && !$0.customSteps.isEmpty })
        #expect(specs.contains { $0.languagePacks.isEmpty && $0.customSteps.isEmpty })
    }
}
