import Foundation

/// An API key pair of the lab, as `vizor lab serve` prints it.
public struct LabCloudStackCredentials: Sendable, Equatable {
    public let account: String
    public let apiKey: String
    public let secretKey: String
    public let isAdmin: Bool
}

/// A VM as the install simulation sees it.
public struct LabVirtualMachine: Sendable, Equatable {
    public let id: String
    public let name: String
    public let state: String
    public let zoneID: String
    public let macAddresses: [String]
    public let ipAddresses: [String]
    /// The ISO in the CD drive, if any.
    public let isoID: String?
    /// How many times the guest has booted (start, reboot).
    public let bootCount: Int
    public let tags: [String: String]
}

/// Why a simulation hook could not act.
public struct LabSimulationError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
}

/// An HTTP answer the lab sends instead of the API's, once per queued fault:
/// a gateway's 5xx page, a cut JSON body, or a long stall.
public struct LabHTTPFault: Sendable, Equatable {
    public var status: Int
    public var contentType: String
    public var body: String
    /// Wait this long before answering (a hung server).
    public var delay: Duration

    public init(status: Int, contentType: String = "application/json; charset=UTF-8", body: String, delay: Duration = .zero) {
        self.status = status
        self.contentType = contentType
        self.body = body
        self.delay = delay
    }

    /// What an nginx gateway answers when the management server is down.
    public static func badGateway() -> LabHTTPFault {
        LabHTTPFault(status: 502, contentType: "text/html",
                     body: "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>")
    }

    /// A 200 answer whose JSON is cut in the middle.
    public static func truncatedJSON() -> LabHTTPFault {
        LabHTTPFault(status: 200, body: "{\"listzonesresponse\":{\"count\":1,\"zone\":[{\"id\":\"")
    }

    /// A server that accepts the request and says nothing for `delay`.
    public static func stall(_ delay: Duration) -> LabHTTPFault {
        LabHTTPFault(status: 200, body: "{}", delay: delay)
    }
}

/// What the HTTP layer sends back.
struct LabHTTPAnswer: Sendable {
    var status: Int
    var contentType: String
    var body: String
    var delay: Duration = .zero
}

/// An API error, rendered with the HTTP status equal to `code`.
struct LabAPIError: Error {
    var code: Int
    var csCode: Int? = 9999
    var text: String

    static func missing(_ command: String, _ parameter: String) -> LabAPIError {
        LabAPIError(code: 431, text: "Unable to execute API command \(command.lowercased()) due to missing parameter \(parameter)")
    }

    static func invalid(_ command: String, _ parameter: String, _ value: String) -> LabAPIError {
        LabAPIError(code: 431, text: "Unable to execute API command \(command.lowercased()) due to invalid value. Invalid parameter \(parameter) value=\(value) due to incorrect long value format, or entity does not exist or due to incorrect parameter annotation for the field in api cmd class.")
    }

    static func param(_ text: String) -> LabAPIError { LabAPIError(code: 431, csCode: 4350, text: text) }
}

struct LabAccount {
    var id: String, userID: String, name: String, credentials: LabCloudStackCredentials
    var isAdmin: Bool { credentials.isAdmin }
}

struct LabZone { var id: String, name: String, networkType: String }
struct LabServiceOffering { var id: String, name: String, cpus: Int, speed: Int, memory: Int }
struct LabDiskOffering { var id: String, name: String, sizeGB: Int, customized: Bool }
struct LabNetwork { var id: String, name: String, zoneID: String, cidrPrefix: String }
struct LabOsType { var id: String, description: String, categoryID: String, categoryName: String }

/// A template or an ISO; one row per zone it lives in.
struct LabImage {
    var id: String, name: String, displayText: String
    var isISO: Bool
    var zoneIDs: [String]
    var osTypeID: String
    var owner: String
    var isPublic: Bool, isFeatured: Bool, isExtractable: Bool = false
    var passwordEnabled: Bool = false
    var bootable: Bool = true
    var readyAt: ContinuousClock.Instant?
    var ready: Bool
    var sizeBytes: Int
    var hypervisor: String?
    var format: String
    var templateType: String
    var created: Date
    var sharedWith: Set<String> = []
    /// `checksum` as registered (`{SHA-256}hex`, or plain hex for MD5); the
    /// TemplateResponse's `checksum` field.
    var checksum: String?
    /// Secondary storage's download of a loopback URL: nil (not fetched:
    /// another host), running, done, or why it failed.
    var download: LabDownload?
}

enum LabDownload: Equatable {
    case running, done, failed(String)
}

struct LabNic { var id: String, networkID: String, mac: String, ip: String }

struct LabVM {
    var id: String, name: String, displayName: String, instanceName: String
    var state: String
    var zoneID: String, serviceOfferingID: String, diskOfferingID: String?
    var templateID: String, isoID: String?
    var hypervisor: String
    var osTypeID: String
    var nics: [LabNic]
    var owner: String
    var created: Date
    var bootType: String, bootMode: String
    var rootVolumeID: String
    var pendingJob: String?
    var bootCount = 0
    var expungeAt: ContinuousClock.Instant?
}

struct LabVolume { var id: String, name: String, type: String, vmID: String?, sizeBytes: Int, zoneID: String, diskOfferingID: String? }

struct LabTag { var key: String, value: String, resourceType: String, resourceID: String, owner: String }

/// What an async job does when its time comes.
enum LabJobAction {
    case deploy(vm: String, start: Bool)
    case start(vm: String), stop(vm: String, previous: String), reboot(vm: String)
    case destroy(vm: String, expunge: Bool, previous: String)
    case attachIso(vm: String, iso: String), detachIso(vm: String)
    case createTemplate(template: String)
    case copyTemplate(template: String, zones: [String])
    case deleteTemplate(template: String, zone: String?)
    case createTags([LabTag]), deleteTags(ids: [String], type: String, keys: [String: String?])
}

struct LabJob {
    var id: String, command: String, account: LabAccount
    var action: LabJobAction
    var instanceType: String, instanceID: String?
    var created: Date, completed: Date?
    var readyAt: ContinuousClock.Instant
    var status = 0
    var resultCode = 0
    var result: LabJSON?
}

/// A queued failure for the next jobs of one command.
struct LabJobFailure { var code: Int, text: String, remaining: Int }
