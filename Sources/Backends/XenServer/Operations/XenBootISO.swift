import BackendKit
import Foundation

/// The boot ISO on XenServer: a VDI named like it in one of the pool's ISO
/// libraries (SRs of content type `iso`, the tools SR aside). Vizor records
/// the SHA-256 of what it published in the VDI's `other_config:vizor-sha256`.
extension XenServerHypervisor: BootISOHost {
    public func bootISOCopies(name: String) async throws -> [BootISOCopy] {
        try await listISOLibraries().filter { !$0.sr.isToolsSR }.flatMap { library in
            library.isos.filter { $0.name == name }.map { vdi in
                BootISOCopy(location: library.sr.name, id: vdi.uuid, name: vdi.name, ready: !vdi.missing,
                            sha256: vdi.sha256, status: vdi.missing ? "missing (the SR scan no longer finds the file)" : "present")
            }
        }
    }

    /// Puts the ISO into the pool's first ISO library (by name; the tools
    /// SR aside): the outdated copies are destroyed first (`VDI.destroy`,
    /// which the ISO driver turns into removing the file), then `VDI.create`
    /// with the ISO's size and `other_config:vizor-sha256`, then the bytes by
    /// `PUT /import_raw_vdi?format=raw`. A failed upload destroys the VDI again.
    public func publishBootISO(_ upload: BootISOUpload, removing outdated: [BootISOCopy]) async throws -> [BootISOCopy] {
        let libraries = try await listISOLibraries().filter { !$0.sr.isToolsSR && $0.sr.type != "udev" }
            .sorted { $0.sr.name < $1.sr.name }
        guard let library = libraries.first else {
            throw BackendError(.notFound, backend: xenserverBackendName, message: "the pool has no ISO library to put \(upload.name) in",
                               hint: "create one (xe sr-create type=iso content-type=iso shared=true device-config:location=…), then publish again")
        }
        guard let data = FileManager.default.contents(atPath: upload.path), UInt64(data.count) == upload.bytes else {
            throw BackendError(.notFound, backend: xenserverBackendName, message: "the boot ISO is not readable at \(upload.path)")
        }
        for copy in outdated {
            let ref = try await session.call("VDI.get_by_uuid", [.string(copy.id)]).text
            _ = try await session.call("VDI.destroy", [.string(ref)])
        }
        let record: XapiValue = .structure([
            "name_label": .string(upload.name), "name_description": .string("Vizor boot ISO"), "SR": .string(library.sr.ref),
            "virtual_size": .int(Int64(upload.bytes)), "type": .string("user"), "sharable": false, "read_only": false,
            "other_config": .structure(["vizor-sha256": .string(upload.sha256)]), "xenstore_other_config": .structure([:]),
            "sm_config": .structure([:]), "tags": .array([]),
        ])
        let vdi = try await session.call("VDI.create", [record]).text
        do {
            try await session.put("/import_raw_vdi", query: [("vdi", vdi), ("format", "raw")], body: Array(data),
                                  timeout: .seconds(600))
        } catch {
            _ = try? await session.call("VDI.destroy", [.string(vdi)])
            throw error
        }
        return try await bootISOCopies(name: upload.name)
    }
}
