import BackendKit

/// The name this backend uses in its errors and logs.
public let razorBackendName = "razor"
