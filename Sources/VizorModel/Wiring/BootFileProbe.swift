import AsyncHTTPClient
import BackendKit
import Foundation
import NIOCore
import VizorProvisioning

/// `doctor`'s look at the binaries installing machines load: it fetches the
/// start of each one as iPXE will (one HTTP GET) and reads its PE header, so
/// a missing file or the wrong build shows before an install fails on it.
enum BootFileProbe {
    /// How much of a file is read: the MS-DOS stub, PE header and the first sector.
    static let prefixLength = 4096

    /// One check per wimboot build of every site that installs through Razor.
    static func wimbootChecks(_ sites: [Site], timeout: TimeInterval) async -> [DoctorCheck] {
        var targets: [(site: String, url: String, machine: PEImage.Machine)] = []
        for site in sites {
            guard let razor = site.razorURL, let files = site.wimboot else { continue }
            let service = RenderedArtefactPublisher.serviceURL(apiURL: razor)
            for (file, machine) in files.checked {
                targets.append((site.name, WimbootFiles.url(file, razorService: service), machine))
            }
        }
        return await withTaskGroup(of: DoctorCheck.self) { group in
            for target in targets {
                group.addTask { await wimboot(site: target.site, url: target.url, machine: target.machine, timeout: timeout) }
            }
            var checks: [DoctorCheck] = []
            for await check in group { checks.append(check) }
            return checks.sorted { $0.target < $1.target }
        }
    }

    static func wimboot(site: String, url: String, machine: PEImage.Machine, timeout: TimeInterval) async -> DoctorCheck {
        let started = Date()
        func check(_ ok: Bool, _ detail: String, kind: String? = nil, hint: String? = nil) -> DoctorCheck {
            DoctorCheck(site: site, backend: "wimboot", target: url, ok: ok,
                        milliseconds: Int((Date().timeIntervalSince(started) * 1000).rounded()), detail: detail,
                        errorKind: ok ? nil : kind ?? "invalidInput", hint: hint)
        }
        let name = String(url.split(separator: "/").last ?? "wimboot")
        let release = "the release files are at https://github.com/ipxe/wimboot/releases; put \(name) into Razor's repo_store_root"
        let bytes: [UInt8]
        do {
            bytes = try await prefix(of: url, timeout: timeout)
        } catch let error as BackendError {
            return check(false, error.message, kind: error.kind.rawValue, hint: error.hint ?? release)
        } catch {
            return check(false, "\(error)", kind: "unreachable", hint: release)
        }
        guard let image = PEImage(prefix: bytes) else {
            return check(false, "\(name) is not a PE image, so no firmware can run it", hint: release)
        }
        let firmware = machine == .i386 ? "32-bit UEFI" : machine == .arm64 ? "ARM64 UEFI" : "64-bit UEFI"
        guard image.machine == machine, image.isEFIApplication else {
            return check(false, "\(name) is \(image.summary), not the \(machine) EFI build that \(firmware) needs",
                         hint: release)
        }
        if machine != .arm64 && !image.hasLinuxBootHeader {
            return check(false, "\(name) is \(image.summary) but has no Linux boot header, so iPXE cannot load it under BIOS",
                         hint: release)
        }
        return check(true, "\(image.summary): for BIOS and \(firmware)".replacingOccurrences(of: "BIOS and ARM64", with: "ARM64"))
    }

    /// The WinPE curl question: the start-up needs curl.exe, and no Microsoft
    /// document places one in a Windows ISO's boot.wim. Each configured file is
    /// read and checked as a job's publication will; without any, one line says
    /// what installs rely on and how to change it.
    static func winPECurlChecks(_ files: WinPECurlFiles) -> [DoctorCheck] {
        let hint = "set exposure.winpe_curl.x86 / .amd64 / .arm64 to a curl.exe of that architecture for Vizor to inject"
        guard !files.configured.isEmpty else {
            return [DoctorCheck(site: "-", backend: "winpe-curl", target: "exposure.winpe_curl", ok: true, milliseconds: 0,
                                detail: #"not configured: installs rely on each ISO's boot.wim having Windows\System32\curl.exe, "#
                                    + "which no Microsoft document promises; without it WinPE stops before Setup",
                                hint: hint)]
        }
        return files.configured.map { entry in
            let started = Date()
            let architecture = WindowsArchitecture(rawValue: entry.architecture) ?? .amd64
            do {
                let bytes = try WinPECurl.load(path: entry.path, architecture: architecture)
                let summary = PEImage(prefix: Array(bytes.prefix(prefixLength)))?.summary ?? "PE image"
                return DoctorCheck(site: "-", backend: "winpe-curl", target: entry.path, ok: true,
                                   milliseconds: Int((Date().timeIntervalSince(started) * 1000).rounded()),
                                   detail: "\(entry.architecture) WinPE: \(summary), \(bytes.count) bytes, injected into every \(entry.architecture) install")
            } catch {
                let failure = backendError(error, backend: "winpe-curl")
                return DoctorCheck(site: "-", backend: "winpe-curl", target: entry.path, ok: false,
                                   milliseconds: Int((Date().timeIntervalSince(started) * 1000).rounded()),
                                   detail: failure.message, errorKind: failure.kind.rawValue, hint: failure.hint ?? hint)
            }
        }
    }

    /// The first `prefixLength` bytes of a URL; an HTTP status other than 200
    /// or 206 is an error that names it.
    static func prefix(of url: String, timeout: TimeInterval) async throws -> [UInt8] {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Range", value: "bytes=0-\(prefixLength - 1)")
        let response: HTTPClientResponse
        do {
            response = try await HTTPClient.shared.execute(request, timeout: .milliseconds(Int64(timeout * 1000)))
        } catch {
            throw BackendError(.unreachable, backend: "wimboot", message: "cannot fetch \(url): \(error)")
        }
        guard response.status.code == 200 || response.status.code == 206 else {
            throw BackendError(.notFound, backend: "wimboot",
                               message: "\(url) answered HTTP \(response.status.code) \(response.status.reasonPhrase)")
        }
        var bytes: [UInt8] = []
        for try await chunk in response.body {
            bytes += chunk.readableBytesView
            if bytes.count >= prefixLength { break }
        }
        return Array(bytes.prefix(prefixLength))
    }
}
