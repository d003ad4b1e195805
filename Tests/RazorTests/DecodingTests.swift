import BackendKit
import Foundation
import Testing
@testable import VizorRazor

/// The body decoders the client uses (and the fuzz target drives), on bodies
/// shaped as razor-server sends them, without a server.
@Suite struct DecodingTests {
    private func json(_ text: String) throws -> RazorJSON { try RazorJSON.decode(Array(text.utf8)) }

    /// Regression: the fuzz target crashed Foundation's ISO 8601 parser with a
    /// timestamp whose fraction ran to 170 digits.
    @Test func overLongTimestampsAreRefusedAndLongFractionsCutWithoutCrashing() throws {
        let huge = "2024-04-20T12:01:00." + String(repeating: "3", count: 170) + "123+00:00"
        #expect(RazorDecoding.parseTime(huge) == nil)
        let long = "2024-04-20T12:01:00." + String(repeating: "3", count: 30) + "+00:00"
        let parsed = try #require(RazorDecoding.parseTime(long))
        let plain = try #require(RazorDecoding.parseTime("2024-04-20T12:01:00+00:00"))
        #expect(abs(parsed.timeIntervalSince(plain) - 0.333) < 0.001)
        #expect(RazorDecoding.parseTime("2024-04-20T12:01:00Z") == plain)
    }

    /// Regression: the fuzz target found a number whose fraction Double could
    /// not hold (`-9223372036858547.075808`): it decoded as a double, encoded
    /// as a whole number and came back as an int, so node-log fingerprints
    /// of the same entry could differ by type.
    @Test func numbersSurviveEncodingAndDecodingWithTheirKind() throws {
        let body = #"{"items":[1,-1.5,2.0,1e300,-9223372036858547.075808,9223372036854775807,0.1]}"#
        let document = try json(body)
        #expect(try RazorJSON.decode(Array(document.encoded())) == document)
        #expect(document["items"]?.array?.map { $0.int } == [1, nil, 2, nil, -9_223_372_036_858_548, Int.max, nil])
        #expect(document["items"]?.array?[1] == .double(-1.5))
    }

    @Test func aNonSuccessStatusBecomesRazorsErrorWithTheStatusAsCode() throws {
        let error = #expect(throws: BackendError.self) {
            try RazorDecoding.body(status: 409, bytes: Array(#"{"error":"The repo win11 already exists"}"#.utf8),
                                   method: "POST", url: "http://razor/api/commands/create-repo")
        }
        #expect(error?.kind == .conflict)
        #expect(error?.code == "409")
        #expect(error?.message.contains("already exists") == true)
    }

    @Test func aSuccessStatusWithABodyThatIsNotJSONIsAProtocolViolation() throws {
        let error = #expect(throws: BackendError.self) {
            try RazorDecoding.body(status: 200, bytes: Array("<html>".utf8), method: "GET", url: "http://razor/api")
        }
        #expect(error?.kind == .protocolViolation)
    }

    @Test func aCommandRecordJoinsExceptionAndMessageOfEachError() throws {
        let record = try json(#"{"name":12,"command":"register-node","status":"failed","errors":[{"exception":"ArgumentError","message":"bad MAC"},{"message":"again"}]}"#)
        let status = try RazorDecoding.commandStatus(record, commandURL: "http://razor/api/collections/commands/12")
        #expect(status == RazorCommandStatus(id: "12", command: "register-node", status: "failed",
                                             errors: ["ArgumentError: bad MAC", "again"]))
    }

    @Test func aLogEntryKeepsEveryOtherFieldAndDefaultsItsEvent() throws {
        let entry = try RazorDecoding.logEntry(json(#"{"timestamp":"2024-04-20T12:00:00.250+00:00","action":"reboot","policy":"p1"}"#))
        #expect(entry.event == "action")
        #expect(entry.severity == "info")
        #expect(entry.fields == ["action": "reboot", "policy": "p1"])
        #expect(entry.timestamp == Date(timeIntervalSince1970: 1_713_614_400.25))
    }

    @Test func aLogEntryWithAnEmptyEventIsReadAsOneWithoutAnEvent() throws {
        let entry = try RazorDecoding.logEntry(json(#"{"timestamp":"2024-04-20T12:05:03+00:00","severity":"info","event":""}"#))
        #expect(entry.event == "log")
        #expect(entry.fields.isEmpty)
    }

    @Test func aLogEntryWithoutAValidTimestampIsRefused() throws {
        #expect(throws: BackendError.self) { try RazorDecoding.logEntry(json(#"{"timestamp":"yesterday","msg":"x"}"#)) }
        #expect(throws: BackendError.self) { try RazorDecoding.logEntry(json(#"["2024-04-20T12:00:00Z"]"#)) }
    }

    @Test func discoverySkipsEntriesWithoutNameOrURL() throws {
        let document = try json(#"{"collections":[{"name":"nodes","id":"http://r/api/collections/nodes","params":{"limit":{},"start":{}}},{"name":"tags"}],"commands":[{"id":"http://r/x"}],"version":{"server":"v1.9.3"}}"#)
        let api = try RazorDecoding.api(document, apiURL: URL(string: "http://r/api")!)
        #expect(Array(api.collections.keys) == ["nodes"])
        #expect(api.collections["nodes"]?.params == ["limit", "start"])
        #expect(api.commands.isEmpty)
        #expect(api.serverVersion == "v1.9.3")
    }
}
