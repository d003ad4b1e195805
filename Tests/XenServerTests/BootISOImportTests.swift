import BackendKit
import Crypto
import Foundation
import LabXAPI
import Testing
@testable import VizorXenServer

/// The boot ISO into the lab pool's ISO library, with the calls the real
/// product takes: sm `drivers/ISOSR.py` gives ISO SRs the `VDI_CREATE`
/// capability (`ISOVDI.create` makes an empty file of the VDI's size in the
/// library), and xapi's `import_raw_vdi` HTTP handler takes the bytes by
/// `PUT /import_raw_vdi?session_id=…&vdi=…&format=raw`.
@Suite struct BootISOImportTests {
    func iso(_ dir: URL, _ bytes: [UInt8]) throws -> BootISOUpload {
        let path = dir.appendingPathComponent("ipxe.iso")
        try Data(bytes).write(to: path)
        let sha = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
        return BootISOUpload(name: "vizor-ipxe.iso", sha256: sha, bytes: UInt64(bytes.count), path: path.path, url: nil)
    }

    func withDir<T>(_ body: (URL) async throws -> T) async throws -> T {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vizor-xen-iso-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        return try await body(dir)
    }

    @Test(arguments: [XapiTransportKind.jsonrpc, .xmlrpc])
    func theISOLandsInTheISOLibraryWithItsChecksumAndBytes(transport: XapiTransportKind) async throws {
        try await withDir { dir in
            try await withLab { server in
                let xen = try hypervisor(server, transport)
                let bytes = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
                let upload = try iso(dir, bytes)
                #expect(try await xen.bootISOCopies(name: upload.name).isEmpty)
                let copies = try await xen.publishBootISO(upload, removing: [])
                #expect(copies.count == 1)
                let copy = try #require(copies.first)
                #expect(copy.location == "ISO library" && copy.ready && copy.sha256 == upload.sha256)
                #expect(await server.lab.importedBytes(vdiUUID: copy.id) == Data(bytes))
                // The VDI as xapi records it.
                let ref = try await xen.session.call("VDI.get_by_uuid", [.string(copy.id)]).text
                let record = try await xen.session.call("VDI.get_record", [.string(ref)])
                #expect(record["virtual_size"].int64 == Int64(bytes.count))
                #expect(record["other_config"].stringMap["vizor-sha256"] == upload.sha256)
                // A replacement destroys the old VDI first.
                var changed = bytes
                changed[0] ^= 0xFF
                let newer = try iso(dir, changed)
                let replaced = try await xen.publishBootISO(newer, removing: copies)
                #expect(replaced.count == 1 && replaced.first?.id != copy.id && replaced.first?.sha256 == newer.sha256)
                #expect(await server.lab.importedBytes(vdiUUID: copy.id) == nil)
            }
        }
    }

    @Test func importRawVDIRefusesABadSessionAndAnOversizedImage() async throws {
        try await withLab { server in
            let xen = try hypervisor(server, .jsonrpc)
            let sr = try #require(try await xen.listISOLibraries().first { !$0.sr.isToolsSR }).sr
            let record: XapiValue = .structure([
                "name_label": "small.iso", "name_description": "", "SR": .string(sr.ref), "virtual_size": .int(10),
                "type": "user", "sharable": false, "read_only": false, "other_config": .structure([:]),
                "xenstore_other_config": .structure([:]), "sm_config": .structure([:]), "tags": .array([]),
            ])
            let vdi = try await xen.session.call("VDI.create", [record]).text
            do {
                try await xen.session.put("/import_raw_vdi", query: [("vdi", vdi), ("format", "raw")],
                                          body: [UInt8](repeating: 1, count: 11), timeout: .seconds(10))
                Issue.record("an image larger than its VDI was imported")
            } catch let error as BackendError {
                #expect(error.message.contains("HTTP 500"), "\(error)")
            }
            let answer = await server.lab.importRaw(query: ["session_id": "OpaqueRef:nope", "vdi": vdi], body: Data([1]))
            #expect(answer.status == 401)
            let tools = try #require(try await xen.listISOLibraries().first { $0.sr.isToolsSR }).sr
            var intoTools = record
            if case .structure(var fields) = record { fields["SR"] = .string(tools.ref); intoTools = .structure(fields) }
            await #expect(throws: BackendError.self) { _ = try await xen.session.call("VDI.create", [intoTools]) }
        }
    }
}
