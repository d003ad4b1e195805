/// What an ISO installs, as far as its own bytes tell.
public enum MediaKind: String, Sendable, Codable, CaseIterable {
    case windows, linux, languagePack = "language-pack", other
}
