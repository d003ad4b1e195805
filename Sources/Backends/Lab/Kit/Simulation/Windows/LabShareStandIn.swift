import Foundation
import VizorMedia

/// The installation medium behind the share WinPE maps as `Z:`.
///
/// The lab has no SMB server of its own. Unless a test points the guest at
/// a real Samba exposure (`LabSimulationOptions.samba`), `net use` succeeds
/// as it would against a share that is there, and the files Setup reads from
/// `Z:` come from the same medium the guest booted from: the one whose
/// `sources/boot.wim` iPXE loaded, read over HTTP by range. The files are the
/// medium's own; only the transport stands in for SMB.
struct LabShareStandIn: Sendable {
    /// The medium's root URL, from the boot.wim iPXE loaded.
    let root: String

    init?(bootWIM url: String) {
        let lower = url.lowercased()
        guard let range = lower.range(of: "/sources/boot.wim", options: .backwards),
              range.upperBound == lower.endIndex || lower[range.upperBound...].hasPrefix("?") else { return nil }
        root = String(url[..<url.index(url.startIndex, offsetBy: lower.distance(from: lower.startIndex, to: range.lowerBound))])
    }

    func exists(_ path: String) async -> Bool {
        await LabGuestHTTP.get("\(root)/\(path)", client: .share, range: 0...0).succeeded
    }

    /// Setup's view of the medium: install.wim's (or install.esd's) images and the key configuration files.
    func medium() async throws(LabGuestFailure) -> LabInstallMedium {
        var info: WIMInfo?
        var problems: [String] = []
        for name in ["sources/install.wim", "sources/install.esd"] {
            do {
                info = try await readWIM("\(root)/\(name)")
                break
            } catch {
                problems.append("\(name): \(error)")
            }
        }
        guard let info else {
            throw LabGuestFailure("Windows Setup cannot read the images of the medium (\(problems.joined(separator: "; "))); it shows an error and waits")
        }
        var keyConfiguration = false
        for name in ["sources/ei.cfg", "sources/pid.txt"] where await exists(name) { keyConfiguration = true }
        return LabInstallMedium(images: info.images.map(LabInstallMedium.Image.init), hasKeyConfiguration: keyConfiguration)
    }

    private func readWIM(_ url: String) async throws -> WIMInfo {
        let head = await LabGuestHTTP.get(url, client: .share, range: 0...(WIMReader.headerSize - 1))
        guard head.succeeded, head.body.count >= WIMReader.headerSize else {
            throw LabGuestFailure(head.failure ?? "short header")
        }
        let total = head.headers.first { $0.name.lowercased() == "content-range" }
            .flatMap { $0.value.split(separator: "/").last }.flatMap { UInt64($0) } ?? UInt64(head.body.count)
        let header = try WIMReader.readHeader(MemoryByteSource(Array(head.body.prefix(WIMReader.headerSize))))
        let xml = header.xml
        guard xml.storedSize > 0, xml.storedSize <= WIMReader.maxXMLBytes else { throw LabGuestFailure("no XML resource") }
        let lower = Int(xml.offset), upper = Int(xml.offset + xml.storedSize) - 1
        let body = await LabGuestHTTP.get(url, client: .share, range: lower...upper, limit: Int(xml.storedSize))
        guard body.succeeded, body.body.count >= Int(xml.storedSize) else { throw LabGuestFailure(body.failure ?? "short XML") }
        let source = SparseBytes(size: total, pieces: [(0, Array(head.body.prefix(WIMReader.headerSize))),
                                                       (xml.offset, Array(body.body.prefix(Int(xml.storedSize))))])
        return try WIMReader.read(source)
    }
}

/// A file of which only some ranges were read; reading elsewhere is an error.
struct SparseBytes: ByteSource {
    let size: UInt64
    let pieces: [(UInt64, [UInt8])]

    func read(at offset: UInt64, count: Int) throws -> [UInt8] {
        for (start, bytes) in pieces where offset >= start && offset + UInt64(count) <= start + UInt64(bytes.count) {
            let from = Int(offset - start)
            return Array(bytes[from..<(from + count)])
        }
        throw LabGuestFailure("the lab read \(count) bytes at \(offset), outside what it fetched")
    }
}
