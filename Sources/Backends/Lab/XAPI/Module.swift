import BackendKit

/// The lab's XAPI server name, as printed by `vizor lab serve`.
public let labXAPIName = "xapi"
