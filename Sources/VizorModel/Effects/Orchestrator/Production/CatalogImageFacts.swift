import BackendKit
import Foundation
import VizorMedia
import VizorProvisioning

/// Turns the media catalog's record of an ISO into the facts the artefact
/// renderer needs. Provisioning never reads media itself, so this is the one
/// place where a catalogued `Edition` becomes an `EditionFacts`.
public enum CatalogImageFacts {
    /// Facts for every edition the catalog could read; throws when the image
    /// has no usable Windows edition (a Linux disc, an unreadable ISO).
    public static func facts(for image: MediaImage) throws -> ImageFacts {
        if let error = image.error {
            throw BackendError(.invalidInput, backend: "media", message: "image \(image.id) could not be read: \(error)",
                               hint: "rescan the media (`vizor catalog scan`) or pick another image")
        }
        let editions = image.editions.compactMap { edition(from: $0, image: image) }
        guard !editions.isEmpty else {
            throw BackendError(.invalidInput, backend: "media",
                               message: "image \(image.id) (\(image.path)) has no Windows edition with a known architecture",
                               hint: "pick a Windows install ISO from `vizor catalog list`")
        }
        return ImageFacts(imageID: image.id, editions: editions)
    }

    /// The catalog says x64 (WIM ARCH 9); answer files say amd64.
    static func architecture(_ arch: VizorMedia.WindowsArchitecture) -> VizorProvisioning.WindowsArchitecture? {
        switch arch {
        case .x86: return .x86
        case .x64: return .amd64
        case .arm64: return .arm64
        case .arm, .ia64: return nil
        }
    }

    static func edition(from edition: Edition, image: MediaImage) -> EditionFacts? {
        guard let arch = (edition.architecture ?? image.buildArchitecture).flatMap(architecture) else { return nil }
        let languages = edition.languages.isEmpty ? image.mediaLanguages : edition.languages
        var ordered = languages
        if let preferred = edition.defaultLanguage, let at = ordered.firstIndex(of: preferred) {
            ordered.remove(at: at)
            ordered.insert(preferred, at: 0)
        }
        return EditionFacts(index: edition.index, name: edition.name,
                            editionID: edition.editionID ?? edition.name.replacingOccurrences(of: " ", with: ""),
                            architecture: arch, build: edition.version?.build ?? 0,
                            languages: ordered.isEmpty ? ["en-US"] : ordered,
                            installationType: edition.installationType ?? "Server")
    }
}

/// Finds the catalog record of an image: the catalog database when it has
/// it, else a metadata-only analysis of the ISO at the journaled path (the
/// same reader the catalog uses), so a job resumes even on a fresh catalog.
public struct CatalogImageLookup: Sendable {
    let entry: @Sendable (String) async throws -> MediaImage?

    public init(entry: @escaping @Sendable (String) async throws -> MediaImage? = { _ in nil }) {
        self.entry = entry
    }

    public func image(id: String, path: String) async throws -> MediaImage {
        if let found = try await entry(id), found.error == nil { return found }
        let analysed = MediaAnalyzer().analyze(URL(fileURLWithPath: path))
        return analysed
    }
}
