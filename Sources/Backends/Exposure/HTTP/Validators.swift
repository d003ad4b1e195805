// Hand-written HTTP dates: NIOHTTP1 has none, and gmtime_r/timegm serve event-loop threads without a shared DateFormatter; fuzzed in scripts/fuzz.d/exposure.sh.
import Foundation

/// IMF-fixdate (RFC 9110 §5.6.7), formatted and parsed without
/// `DateFormatter` so event-loop threads share no formatter state.
public enum HTTPDate {
    private static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    public static func format(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }

    /// Seconds since the epoch, or nil for anything but an IMF-fixdate
    /// (an invalid date makes the condition be ignored, per RFC 9110).
    public static func parse(_ text: String) -> Int64? {
        let fields = text.trimmingSpaces().split(separator: " ")
        guard fields.count == 6, fields[5] == "GMT", fields[0].hasSuffix(","),
              let day = Int32(fields[1]), let monthIndex = months.firstIndex(of: String(fields[2])),
              let year = Int32(fields[3]) else { return nil }
        let clock = fields[4].split(separator: ":")
        guard clock.count == 3, let hour = Int32(clock[0]), let minute = Int32(clock[1]), let second = Int32(clock[2]),
              (1...31).contains(day), (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second)
        else { return nil }
        var parts = tm()
        parts.tm_year = year - 1900
        parts.tm_mon = Int32(monthIndex)
        parts.tm_mday = day
        parts.tm_hour = hour
        parts.tm_min = minute
        parts.tm_sec = second
        return Int64(timegm(&parts))
    }
}

/// The validators of one file and the RFC 9110 §13.2.2 evaluation of the
/// conditional request headers against them.
public struct Validators: Sendable, Equatable {
    /// Strong entity tag, quoted.
    public var etag: String
    /// Whole seconds since the epoch.
    public var lastModified: Int64

    public init(etag: String, lastModified: Int64) {
        self.etag = etag
        self.lastModified = lastModified
    }

    public enum Outcome: Equatable, Sendable {
        case proceed(honourRange: Bool)
        case notModified
        case preconditionFailed
    }

    public func evaluate(ifMatch: String?, ifUnmodifiedSince: String?, ifNoneMatch: String?,
                         ifModifiedSince: String?, ifRange: String?, hasRange: Bool) -> Outcome {
        if let ifMatch {
            if !matches(ifMatch, weak: false) { return .preconditionFailed }
        } else if let ifUnmodifiedSince, let date = HTTPDate.parse(ifUnmodifiedSince), lastModified > date {
            return .preconditionFailed
        }
        if let ifNoneMatch {
            if matches(ifNoneMatch, weak: true) { return .notModified }
        } else if let ifModifiedSince, let date = HTTPDate.parse(ifModifiedSince), lastModified <= date {
            return .notModified
        }
        guard hasRange else { return .proceed(honourRange: false) }
        guard let ifRange else { return .proceed(honourRange: true) }
        let value = ifRange.trimmingSpaces()
        if value.hasPrefix("\"") || value.hasPrefix("W/") {
            return .proceed(honourRange: value == etag)  // strong comparison; weak tags never match
        }
        return .proceed(honourRange: HTTPDate.parse(value) == lastModified)
    }

    private func matches(_ header: String, weak: Bool) -> Bool {
        let tags = header.split(separator: ",").map { String($0).trimmingSpaces() }
        for tag in tags {
            if tag == "*" { return true }
            if tag == etag { return true }
            if weak, tag.hasPrefix("W/"), String(tag.dropFirst(2)) == etag { return true }
        }
        return false
    }
}
