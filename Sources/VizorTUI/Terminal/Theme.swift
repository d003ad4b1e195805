/// The dashboard's palettes. Roles stay the same in every theme; only the
/// terminal's mapping of roles to colours changes, so snapshots (text) are
/// theme-independent. Monochrome uses attributes only, as NO_COLOR does.
public enum Theme: String, Sendable, CaseIterable {
    case dark, light, monochrome
}
