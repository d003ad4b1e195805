import BackendKit

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

    /// Not done yet: Vizor does not copy the ISO into an ISO library. The
    /// operator copies it into the share behind an ISO SR and rescans it.
    public func publishBootISO(_ upload: BootISOUpload, removing outdated: [BootISOCopy]) async throws -> [BootISOCopy] {
        let libraries = try await listISOLibraries().filter { !$0.sr.isToolsSR }.map(\.sr.name)
        throw BackendError(.invalidInput, backend: xenserverBackendName,
                           message: "publishing \(upload.name) to a XenServer ISO library is not automated yet",
                           hint: "copy \(upload.path) as \(upload.name) into the share of an ISO SR (\(libraries.isEmpty ? "the pool has none" : libraries.joined(separator: ", "))), then `xe sr-scan uuid=<sr>`; vizor doctor then shows it")
    }
}
