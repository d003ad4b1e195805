import Foundation

/// One API call after authentication: lower-cased parameters and the caller.
struct LabCall {
    var command: String
    var p: [String: String]
    var account: LabAccount

    func required(_ name: String) throws -> String {
        guard let value = p[name], !value.isEmpty else { throw LabAPIError.missing(command, name) }
        return value
    }

    func flag(_ name: String) -> Bool? { p[name].map { $0.lowercased() == "true" } }

    /// `name[i].field=value` groups, merged by index, as `BaseCmd.unpackParams` builds maps.
    func map(_ name: String) -> [[String: String]] {
        var groups: [Int: [String: String]] = [:]
        let prefix = name + "["
        for (key, value) in p where key.hasPrefix(prefix) {
            let rest = key.dropFirst(prefix.count)
            guard let close = rest.firstIndex(of: "]"), let index = Int(rest[..<close]),
                  rest[rest.index(after: close)...].hasPrefix(".") else { continue }
            let field = String(rest[rest.index(close, offsetBy: 2)...])
            groups[index, default: [:]][field] = value
        }
        return groups.keys.sorted().compactMap { groups[$0] }
    }
}

extension LabCloudStack {
    /// The commands this lab knows; any other name is refused with 401 as
    /// the real server does under API-key authentication.
    static let knownCommands: Set<String> = ["listZones", "listServiceOfferings", "listDiskOfferings", "listNetworks", "listOsTypes", "listHypervisors", "listTemplates", "listIsos", "registerIso", "deployVirtualMachine", "listVirtualMachines", "startVirtualMachine", "stopVirtualMachine", "rebootVirtualMachine", "destroyVirtualMachine", "attachIso", "detachIso", "listVolumes", "createTemplate", "updateTemplatePermissions", "updateTemplate", "copyTemplate", "deleteTemplate", "deleteIso", "createTags", "deleteTags", "listTags", "queryAsyncJobResult", "listAsyncJobs"]

    func execute(_ call: LabCall) throws -> LabJSON {
        switch call.command {
        case "listZones": return try listZones(call)
        case "listServiceOfferings": return try listServiceOfferings(call)
        case "listDiskOfferings": return try listDiskOfferings(call)
        case "listNetworks": return try listNetworks(call)
        case "listOsTypes": return try listOsTypes(call)
        case "listHypervisors": return try listHypervisors(call)
        case "listTemplates": return try listImages(call, isos: false)
        case "listIsos": return try listImages(call, isos: true)
        case "registerIso": return try registerIso(call)
        case "deployVirtualMachine": return try deployVirtualMachine(call)
        case "listVirtualMachines": return try listVirtualMachines(call)
        case "startVirtualMachine": return try startVirtualMachine(call)
        case "stopVirtualMachine": return try stopVirtualMachine(call)
        case "rebootVirtualMachine": return try rebootVirtualMachine(call)
        case "destroyVirtualMachine": return try destroyVirtualMachine(call)
        case "attachIso": return try attachIso(call)
        case "detachIso": return try detachIso(call)
        case "listVolumes": return try listVolumes(call)
        case "createTemplate": return try createTemplate(call)
        case "updateTemplatePermissions": return try updateTemplatePermissions(call)
        case "updateTemplate": return try updateTemplate(call)
        case "copyTemplate": return try copyTemplate(call)
        case "deleteTemplate": return try deleteTemplate(call)
        case "deleteIso": return try deleteIso(call)
        case "createTags": return try createTags(call)
        case "deleteTags": return try deleteTags(call)
        case "listTags": return try listTags(call)
        case "queryAsyncJobResult": return try queryAsyncJobResult(call)
        case "listAsyncJobs": return try listAsyncJobs(call)
        default: throw LabAPIError(code: 432, text: "Unknown API command: \(call.command)")
        }
    }

    /// Answers one HTTP request to `/client/api`.
    func handle(query: String?, formBody: String?) -> LabHTTPAnswer {
        settle()
        if !faults.isEmpty {
            let fault = faults.removeFirst()
            return LabHTTPAnswer(status: fault.status, contentType: fault.contentType, body: fault.body, delay: fault.delay)
        }
        let parameters = LabRequestParameters(query: query, formBody: formBody)
        let json = parameters.value("response") == "json"
        let command = parameters.value("command")
        guard let command, Self.knownCommands.contains(command) else {
            return render(error: LabAPIError(code: 401, csCode: nil, text: "unable to verify user credentials and/or request signature"),
                          responseName: "errorresponse", json: json)
        }
        let responseName = command.lowercased() + "response"
        guard let account = authenticate(parameters) else {
            return render(error: LabAPIError(code: 401, csCode: nil, text: "unable to verify user credentials and/or request signature"),
                          responseName: responseName, json: json)
        }
        do {
            let body = try execute(LabCall(command: command, p: parameters.lowercased, account: account))
            let text = json ? "{\"\(responseName)\":\(body.json())}" : body.xml(root: responseName)
            return LabHTTPAnswer(status: 200, contentType: json ? "application/json; charset=UTF-8" : "text/xml; charset=UTF-8", body: text)
        } catch let error as LabAPIError {
            return render(error: error, responseName: error.code == 432 ? "errorresponse" : responseName, json: json)
        } catch {
            return render(error: LabAPIError(code: 530, text: "Internal error executing command"), responseName: responseName, json: json)
        }
    }

    /// `ApiServer.verifyRequest`: key known, signature present and right,
    /// and for version 3 an `expires` that parses and lies ahead.
    func authenticate(_ parameters: LabRequestParameters) -> LabAccount? {
        guard let apiKey = parameters.value("apikey"), parameters.value("signature") != nil,
              let account = accounts.first(where: { $0.credentials.apiKey == apiKey }) else { return nil }
        if parameters.value("signatureversion") == "3" {
            guard let expires = parameters.value("expires").flatMap(LabExpires.parse), expires > Date() else { return nil }
        }
        return parameters.signatureMatches(secret: account.credentials.secretKey) ? account : nil
    }

    func render(error: LabAPIError, responseName: String, json: Bool) -> LabHTTPAnswer {
        let body = LabJSON.obj([("uuidList", .array([])), ("errorcode", .int(error.code)),
                                ("cserrorcode", error.csCode.map { .int($0) }), ("errortext", .string(error.text))])
        let text = json ? "{\"\(responseName)\":\(body.json())}" : body.xml(root: responseName)
        return LabHTTPAnswer(status: error.code, contentType: json ? "application/json; charset=UTF-8" : "text/xml; charset=UTF-8", body: text)
    }

    /// A list answer with the server's paging rules: `page` and `pagesize`
    /// together, `pagesize` at most 500 (or -1 without `page`), 500 rows
    /// without either; `{}` when nothing matches, `{"count":N}` past the end.
    func listAnswer(_ call: LabCall, key: String, _ rows: [LabJSON]) throws -> LabJSON {
        try listAnswer(call, key: key, rows) { $0 }
    }

    /// Renders only the rows of the requested page.
    func listAnswer<Row>(_ call: LabCall, key: String, _ rows: [Row], render: (Row) -> LabJSON) throws -> LabJSON {
        var slice = rows[...]
        let page = call.p["page"], pageSize = call.p["pagesize"]
        switch (page, pageSize) {
        case (nil, nil):
            slice = rows.prefix(500)
        case (.some, nil):
            throw LabAPIError(code: 431, text: "\"pagesize\" parameter is required when \"page\" is specified")
        case (nil, .some(let sizeText)):
            guard sizeText == "-1" else { throw LabAPIError(code: 431, text: "\"page\" parameter is required when \"pagesize\" is specified") }
        case (.some(let pageText), .some(let sizeText)):
            guard let number = Int(pageText), let size = Int(sizeText) else {
                throw LabAPIError.invalid(call.command, Int(pageText) == nil ? "page" : "pagesize", Int(pageText) == nil ? pageText : sizeText)
            }
            if size > 500 { throw LabAPIError(code: 431, text: "Page size can't exceed max allowed page size value: 500") }
            if size == -1 { throw LabAPIError(code: 431, text: "Can't specify page parameter when pagesize is -1 (Unlimited)") }
            guard size > 0, number > 0 else { throw LabAPIError(code: 431, text: "Page and pagesize must be positive") }
            let start = (number - 1) * size
            slice = start < rows.count ? rows[start..<min(rows.count, start + size)] : []
        }
        if rows.isEmpty { return .object([:]) }
        if slice.isEmpty { return .object(["count": .int(rows.count)]) }
        return .object(["count": .int(rows.count), key: .array(slice.map(render))])
    }

    func successAnswer() -> LabJSON { .object(["success": .bool(true)]) }
}
