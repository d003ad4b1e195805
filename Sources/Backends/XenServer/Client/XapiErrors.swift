import BackendKit

/// Turns XAPI's `[CODE, params...]` into a message an operator can act on.
/// Codes and parameter orders follow xapi's `datamodel_errors.ml`.
public enum XapiErrorMapper {
    public static func map(_ description: [String], method: String) -> BackendError {
        let code = description.first ?? "INTERNAL_ERROR"
        let p = Array(description.dropFirst())
        func arg(_ n: Int) -> String { n < p.count ? p[n] : "?" }
        let b = xenserverBackendName
        switch code {
        case "SESSION_AUTHENTICATION_FAILED":
            return BackendError(.unauthorized, backend: b, message: "the pool refused the credentials of user \(arg(0))",
                                code: code, hint: "check the XenServer username and password of this site")
        case "SESSION_AUTHORIZATION_FAILED":
            return BackendError(.unauthorized, backend: b, message: "user \(arg(0)) has no role on this pool",
                                code: code, hint: "give the account a role (Pool Admin or VM Power Admin) in the pool's RBAC")
        case "SESSION_INVALID":
            return BackendError(.unauthorized, backend: b, message: "the session expired and logging in again did not help",
                                code: code, hint: "check that the account is still valid and the pool is not evicting sessions")
        case "HOST_IS_SLAVE":
            return BackendError(.unreachable, backend: b, message: "this host is a pool member; the master is \(arg(0))",
                                code: code, hint: "point the site at the pool master \(arg(0))")
        case "HANDLE_INVALID":
            return BackendError(.notFound, backend: b, message: "the \(arg(0)) object \(arg(1)) no longer exists",
                                code: code, hint: "refresh the view; someone may have deleted it")
        case "UUID_INVALID":
            return BackendError(.notFound, backend: b, message: "no \(arg(0)) has the UUID \"\(arg(1))\"", code: code,
                                hint: arg(0) == "sr" ? "choose a storage repository, or set a default SR on the pool" : "refresh the view")
        case "MESSAGE_METHOD_UNKNOWN":
            return BackendError(.protocolViolation, backend: b, message: "the pool does not know the call \(arg(0))",
                                code: code, hint: "the XenServer release is too old for this operation")
        case "MESSAGE_PARAMETER_COUNT_MISMATCH":
            return BackendError(.protocolViolation, backend: b, message: "\(arg(0)) expects \(arg(1)) parameters, got \(arg(2))",
                                code: code, hint: "the XenServer release differs from the one Vizor expects")
        case "VM_BAD_POWER_STATE":
            return BackendError(.conflict, backend: b, message: "the VM is \(arg(2)) but the operation needs it \(arg(1))",
                                code: code, hint: "wait for the VM to reach the right state, or stop it first")
        case "VM_IS_TEMPLATE":
            return BackendError(.conflict, backend: b, message: "the object is a template; \(arg(1)) is not possible on templates", code: code)
        case "VM_IS_SNAPSHOT":
            return BackendError(.conflict, backend: b, message: "the object is a snapshot; \(arg(1)) is not possible on snapshots", code: code)
        case "OTHER_OPERATION_IN_PROGRESS":
            return BackendError(.conflict, backend: b, message: "another operation (\(arg(2))) is running on this \(arg(0))",
                                code: code, hint: "retry when it has finished")
        case "OPERATION_NOT_ALLOWED":
            return BackendError(.conflict, backend: b, message: "the pool does not allow this: \(arg(0))", code: code)
        case "OPERATION_BLOCKED":
            return BackendError(.conflict, backend: b, message: "the operation is blocked on this object (\(arg(1)))",
                                code: code, hint: "remove the entry from blocked_operations if it is safe")
        case "VM_LACKS_FEATURE", "VM_MISSING_PV_DRIVERS", "VM_OLD_PV_DRIVERS":
            return BackendError(.conflict, backend: b, message: "the guest cannot shut down cleanly (no or old guest tools)",
                                code: code, hint: "use a forced stop, or install the guest tools")
        case "VM_SHUTDOWN_TIMEOUT", "VM_FAILED_SHUTDOWN_ACKNOWLEDGMENT":
            return BackendError(.timeout, backend: b, message: "the guest did not shut down in time", code: code,
                                hint: "use a forced stop")
        case "VM_CANNOT_DELETE_DEFAULT_TEMPLATE":
            return BackendError(.conflict, backend: b, message: "built-in templates cannot be deleted", code: code)
        case "VM_NO_EMPTY_CD_VBD":
            return BackendError(.conflict, backend: b, message: "the VM has no empty CD drive", code: code, hint: "eject the CD first")
        case "VBD_NOT_EMPTY":
            return BackendError(.conflict, backend: b, message: "the CD drive already holds a disc", code: code, hint: "eject it first")
        case "VBD_IS_EMPTY":
            return BackendError(.conflict, backend: b, message: "the CD drive is empty", code: code)
        case "VBD_NOT_REMOVABLE_MEDIA":
            return BackendError(.invalidInput, backend: b, message: "that drive is a disk, not a CD drive", code: code)
        case "VBD_TRAY_LOCKED":
            return BackendError(.conflict, backend: b, message: "the guest has locked the CD tray", code: code,
                                hint: "unlock it from inside the guest or stop the VM")
        case "VBD_CDS_MUST_BE_READONLY":
            return BackendError(.invalidInput, backend: b, message: "CD drives must be read-only", code: code)
        case "VDI_IN_USE":
            return BackendError(.conflict, backend: b, message: "the disk is in use by \(arg(1))", code: code)
        case "VDI_READONLY", "VDI_INCOMPATIBLE_TYPE":
            return BackendError(.invalidInput, backend: b, message: "the disk cannot be used that way (\(code.lowercased()))", code: code)
        case "DEVICE_ALREADY_EXISTS":
            return BackendError(.conflict, backend: b, message: "device slot \(arg(0)) is taken on this VM", code: code)
        case "INVALID_DEVICE":
            return BackendError(.invalidInput, backend: b, message: "\"\(arg(0))\" is not a valid device slot", code: code)
        case "MAC_INVALID":
            return BackendError(.invalidInput, backend: b, message: "\"\(arg(0))\" is not a valid MAC address", code: code,
                                hint: "use six colon-separated hex pairs, e.g. 02:00:00:12:34:56")
        case "MAP_DUPLICATE_KEY":
            return BackendError(.conflict, backend: b, message: "key \(arg(3)) already exists in \(arg(1))", code: code)
        case "INVALID_VALUE":
            return BackendError(.invalidInput, backend: b, message: "invalid value for \(arg(0)): \(arg(1))", code: code)
        case "MEMORY_CONSTRAINT_VIOLATION", "MEMORY_CONSTRAINT_VIOLATION_ORDER", "MEMORY_CONSTRAINT_VIOLATION_MAXPIN":
            return BackendError(.invalidInput, backend: b, message: "the memory settings are inconsistent\(p.isEmpty ? "" : " (\(arg(0)))")",
                                code: code, hint: "without dynamic memory control, minimum and maximum memory must be equal")
        case "HOST_NOT_ENOUGH_FREE_MEMORY":
            return BackendError(.remoteFailure, backend: b, message: "no host has enough free memory (needs \(arg(0)) bytes, \(arg(1)) free)",
                                code: code, hint: "lower the VM's memory or stop other VMs")
        case "NO_HOSTS_AVAILABLE":
            return BackendError(.remoteFailure, backend: b, message: "no host in the pool can run this VM", code: code,
                                hint: "check that hosts are enabled and see the VM's storage and networks")
        case "VM_REQUIRES_SR", "VM_REQUIRES_NETWORK", "VM_REQUIRES_VDI":
            return BackendError(.remoteFailure, backend: b, message: "the VM needs \(arg(1)), which no host can reach", code: code)
        case "SR_FULL":
            return BackendError(.remoteFailure, backend: b, message: "the storage repository is full (asked \(arg(0)), max \(arg(1)))",
                                code: code, hint: "choose another SR or free space")
        case "DEFAULT_SR_NOT_FOUND":
            return BackendError(.invalidInput, backend: b, message: "the pool has no default storage repository", code: code,
                                hint: "choose an SR for this site or set a default SR on the pool")
        case "LICENCE_RESTRICTION":
            return BackendError(.remoteFailure, backend: b, message: "the pool's licence does not allow \(arg(0))", code: code)
        case "PERMISSION_DENIED", "RBAC_PERMISSION_DENIED":
            return BackendError(.unauthorized, backend: b, message: "the account may not do this: \(p.joined(separator: " "))", code: code,
                                hint: "use an account with a stronger role")
        case "TASK_CANCELLED":
            return BackendError(.cancelled, backend: b, message: "the pool cancelled the task", code: code)
        case "TOO_MANY_PENDING_TASKS":
            return BackendError(.remoteFailure, backend: b, message: "the pool has too many pending tasks", code: code, hint: "retry later")
        case "EVENTS_LOST", "EVENT_FROM_TOKEN_PARSE_FAILURE", "SESSION_NOT_REGISTERED":
            return BackendError(.protocolViolation, backend: b, message: "the event stream lost its position", code: code,
                                hint: "Vizor resynchronises automatically")
        case "EVENT_SUBSCRIPTION_PARSE_FAILURE":
            return BackendError(.invalidInput, backend: b, message: "the pool rejected the event subscription \(arg(0))", code: code)
        case "XMLRPC_UNMARSHAL_FAILURE", "FIELD_TYPE_ERROR":
            return BackendError(.protocolViolation, backend: b, message: "the pool could not read \(method)'s parameters", code: code)
        case "Fault":
            return BackendError(.protocolViolation, backend: b, message: "the pool rejected \(method): \(arg(0))", code: code)
        default:
            let detail = p.isEmpty ? "" : ": " + p.joined(separator: ", ")
            return BackendError(.remoteFailure, backend: b, message: "\(method) failed with \(code)\(detail)", code: code)
        }
    }
}
