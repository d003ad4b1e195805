import BackendKit

/// The lab's CloudStack server name, as printed by `vizor lab serve`.
public let labCloudStackName = "cloudstack"
