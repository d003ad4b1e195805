import Foundation

/// An ISO put into an ISO library as xapi and the SM's ISO driver take it:
/// - `VDI.create` in an SR of content type `iso`: sm `drivers/ISOSR.py`
///   lists `VDI_CREATE` among the ISO SR's capabilities, and its
///   `ISOVDI.create` makes an empty file of `virtual_size` in the library;
/// - the bytes then arrive by `PUT /import_raw_vdi?session_id=…&vdi=…&format=raw`
///   (xapi's import_raw_vdi HTTP handler; `format` is `raw` or `vhd`), which
///   refuses more bytes than the VDI's virtual size.
extension XAPILab {
    func createVDI(_ r: [String: LabValue]) throws -> String {
        try Self.required(r, ["name_label", "name_description", "SR", "virtual_size", "type", "sharable", "read_only",
                              "other_config", "xenstore_other_config", "sm_config", "tags"])
        let sr = r["SR"]!.s
        let srFields = try db.fields(sr, "sr")
        let size = r["virtual_size"]?.i ?? -1
        guard size >= 0 else { throw LabFault("FIELD_TYPE_ERROR", "virtual_size") }
        if srFields["is_tools_sr"]?.b == true { throw LabFault("OPERATION_NOT_ALLOWED", "The tools SR is read-only") }
        var record = LabRecords.vdi(name: r["name_label"]!.s, sr: sr, size: size, type: r["type"]!.s,
                                    readOnly: r["read_only"]?.b ?? false, description: r["name_description"]!.s)
        record["other_config"] = r["other_config"]
        record["sm_config"] = r["sm_config"]
        record["physical_utilisation"] = .int(0)
        let vdi = db.insert("vdi", record)
        db.link(sr, "VDIs", vdi, add: true)
        return vdi
    }

    /// The body of an `import_raw_vdi` PUT; answers the HTTP status and a message.
    public func importRaw(query: [String: String], body: Data) -> (status: Int, message: String) {
        guard let session = query["session_id"], (try? checkSession(session)) != nil else {
            return (401, "session_id is missing or invalid")
        }
        guard let vdi = query["vdi"], let fields = try? db.fields(vdi, "vdi") else {
            return (404, "VDI not found")
        }
        let format = query["format"] ?? "raw"
        guard format == "raw" else { return (400, "this lab imports format=raw only, got \(format)") }
        guard Int64(body.count) <= fields["virtual_size"]?.i ?? 0 else {
            return (500, "VDI_IO_ERROR: the image is larger than the VDI")
        }
        db.update(vdi) { $0["physical_utilisation"] = .int(Int64(body.count)) }
        importedContent[vdi] = body
        changed()
        return (200, "")
    }

    /// What `import_raw_vdi` wrote into a VDI, by uuid (tests compare it with the ISO).
    public func importedBytes(vdiUUID uuid: String) -> Data? {
        guard let ref = try? db.byUUID("vdi", uuid) else { return nil }
        return importedContent[ref]
    }
}
