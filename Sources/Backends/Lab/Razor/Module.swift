import BackendKit

/// The lab's Razor server name, as printed by `vizor lab serve`.
public let labRazorName = "razor"
