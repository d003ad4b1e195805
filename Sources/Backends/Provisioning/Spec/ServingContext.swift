import BackendKit

/// Where the VM finds things while it installs: the exposed install media, the
/// Razor `/svc` endpoints, and Vizor's own per-node artefact server. One value
/// per job; the `token` is the job's secret that gates its artefacts.
public struct ServingContext: Sendable, Equatable {
    /// HTTP URL of the root of the exposed ISO (holds `bootmgr`, `boot/bcd`, `sources/boot.wim`).
    public var mediaBaseURL: String
    /// Razor's service base, e.g. `http://razor:8150/svc`.
    public var razorServiceURL: String
    /// Where the artefact handler is mounted, e.g. `http://vizor:8160/artefacts`.
    public var artefactBaseURL: String
    /// URL of `wimboot`, wimboot's x86_64 build: BIOS and 64-bit UEFI.
    public var wimbootURL: String
    /// URL of `wimboot.i386`: BIOS and 32-bit UEFI. 32-bit UEFI firmware (and
    /// its iPXE) cannot run the x86_64 EFI image of `wimboot`.
    public var wimbootI386URL: String
    /// URL of `wimboot.arm64` (wimboot 2.8 and later): 64-bit ARM UEFI.
    public var wimbootARM64URL: String
    /// UNC path of the ISO root as an SMB share, e.g. `\\vizor\media-7`.
    public var smbShare: String
    /// SMB account when the share is not guest-readable; the password goes
    /// only into the WinPE start-up file.
    public var smbUser: String?
    public var smbPassword: String?
    /// Per-job secret, URL-safe; every artefact URL carries it.
    public var token: String
    /// Optional URL of a `curl.exe` for WinPE images that lack one; injected by wimboot.
    public var winPECurlURL: String?
    /// The Razor node the job is bound to, once it is: every artefact URL
    /// names it (`&node=`), since the artefact server gives a bound job's
    /// files to that node only. See `ArtefactRegistry.bind(job:node:)`.
    public var node: String?

    /// `wimbootI386URL` and `wimbootARM64URL` default to `wimbootURL` with the
    /// suffix of wimboot's release file names (`.i386`, `.arm64`) appended.
    public init(mediaBaseURL: String, razorServiceURL: String, artefactBaseURL: String, wimbootURL: String,
                wimbootI386URL: String? = nil, wimbootARM64URL: String? = nil,
                smbShare: String, smbUser: String? = nil, smbPassword: String? = nil, token: String,
                winPECurlURL: String? = nil, node: String? = nil) {
        self.mediaBaseURL = mediaBaseURL.trimmingSlash
        self.razorServiceURL = razorServiceURL.trimmingSlash
        self.artefactBaseURL = artefactBaseURL.trimmingSlash
        self.wimbootURL = wimbootURL
        self.wimbootI386URL = wimbootI386URL ?? wimbootURL + ".i386"
        self.wimbootARM64URL = wimbootARM64URL ?? wimbootURL + ".arm64"
        self.smbShare = smbShare
        self.smbUser = smbUser
        self.smbPassword = smbPassword
        self.token = token
        self.winPECurlURL = winPECurlURL
        self.node = node
    }

    /// Problems that would make rendered files unusable.
    public func issues() -> [ValidationIssue] {
        var found: [ValidationIssue] = []
        for (field, url) in [("mediaBaseURL", mediaBaseURL), ("razorServiceURL", razorServiceURL),
                             ("artefactBaseURL", artefactBaseURL), ("wimbootURL", wimbootURL),
                             ("wimbootI386URL", wimbootI386URL), ("wimbootARM64URL", wimbootARM64URL)]
        where !(url.hasPrefix("http://") || url.hasPrefix("https://")) || url.contains(where: { $0 == " " || $0 == "\"" || $0 == "'" || $0 == "%" || $0 == "^" || $0 == "&" }) {
            found.append(.init(field: field, message: "'\(url)' must be an http(s) URL without spaces, quotes, '%', '^' or '&'"))
        }
        if !smbShare.hasPrefix("\\\\") || smbShare.contains(where: { $0 == "\"" || $0 == "%" || $0 == "&" || $0 == " " }) {
            found.append(.init(field: "smbShare", message: "'\(smbShare)' must be a UNC path like \\\\server\\share without spaces, quotes, '%' or '&'"))
        }
        if token.count < 16 || !token.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) {
            found.append(.init(field: "token", message: "job token must be at least 16 URL-safe characters"))
        }
        for (field, value) in [("smbUser", smbUser), ("smbPassword", smbPassword)] {
            if let value, value.contains(where: { "\"%^&!|<>\r\n".contains($0) }) {
                found.append(.init(field: field, message: "must not contain \" % ^ & ! | < > or line breaks"))
            }
        }
        if let node, node.isEmpty || !node.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.:".contains($0)) }) {
            found.append(.init(field: "node", message: "'\(node)' must be a Razor node name: letters, digits, '-', '_', '.' or ':'"))
        }
        if (smbUser == nil) != (smbPassword == nil) {
            found.append(.init(field: "smbUser", message: "give both SMB user and password, or neither"))
        }
        return found
    }

    /// Throws `.invalidInput` listing every problem.
    public func validate() throws {
        let problems = issues()
        if !problems.isEmpty {
            throw BackendError(.invalidInput, backend: provisioningBackendName,
                               message: "serving context is invalid: " + problems.map(\.description).joined(separator: "; "))
        }
    }

    /// The URL a node uses to fetch one of its job's artefacts: the job
    /// token, and once the job is bound, the node's name.
    public func artefactURL(job: String, name: String) -> String {
        "\(artefactBaseURL)/\(job)/\(name)?token=\(token)" + (node.map { "&node=\($0)" } ?? "")
    }

    /// The wimboot build the firmware can run. BIOS runs the x86_64 build
    /// (its BIOS entry is i386 code); UEFI runs only the build of its own
    /// architecture, which is the Windows image's: 32-bit Windows boots from
    /// 32-bit UEFI (`bootia32.efi`), 64-bit from 64-bit UEFI.
    public func wimbootURL(for firmware: Firmware, architecture: WindowsArchitecture) -> String {
        switch (firmware, architecture) {
        case (.bios, _), (.uefi, .amd64): return wimbootURL
        case (.uefi, .x86): return wimbootI386URL
        case (.uefi, .arm64): return wimbootARM64URL
        }
    }

    /// A URL inside the exposed media.
    public func mediaURL(_ path: String) -> String { "\(mediaBaseURL)/\(path)" }
}

extension String {
    var trimmingSlash: String {
        var text = self
        while text.hasSuffix("/") { text.removeLast() }
        return text
    }
}
