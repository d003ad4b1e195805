import BackendKit
import Foundation

/// How one backend is doing, as the header shows it. A poller moves it;
/// `tick` ages `ok` into `stale` when no answer came for too long.
public enum BackendHealth: Sendable, Equatable {
    /// Not contacted yet.
    case connecting
    /// Last answer at `since`; `staleAfter` seconds without a new one makes it stale
    /// (nil for push streams, which are ok while connected).
    case ok(since: Date, staleAfter: TimeInterval?)
    /// The last good answer is older than expected.
    case stale(since: Date)
    /// The last attempt failed; the poller tries again at `retryAt`.
    case failing(error: BackendError, since: Date, retryAt: Date, attempt: Int)

    public var isOK: Bool {
        if case .ok = self { return true }
        return false
    }

    public var isFailing: Bool {
        if case .failing = self { return true }
        return false
    }

    public var error: BackendError? {
        if case .failing(let error, _, _, _) = self { return error }
        return nil
    }

    /// One short phrase for the header: "ok", "stale since 12:03:04",
    /// "failing: xenserver: connection refused — retrying in 8 s".
    public func summary(now: Date) -> String {
        switch self {
        case .connecting: return "connecting"
        case .ok: return "ok"
        case .stale(let since): return "stale since \(Self.clockTime(since))"
        case .failing(let error, _, let retryAt, _):
            let seconds = max(0, Int((retryAt.timeIntervalSince(now)).rounded(.up)))
            return "failing: \(error.message) — retrying in \(seconds) s"
        }
    }

    static func clockTime(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "HH:mm:ss"
        return formatter.string(from: date)
    }
}

/// Exponential backoff with jitter, so many clients retrying a server that
/// came back do not hit it in lock-step.
public struct Backoff: Sendable, Equatable {
    public var base: TimeInterval
    public var maximum: TimeInterval
    /// Fraction of the delay that is randomised (0 = none, 0.5 = ±25 % around 75 %).
    public var jitter: Double

    public init(base: TimeInterval = 1, maximum: TimeInterval = 60, jitter: Double = 0.5) {
        self.base = base
        self.maximum = maximum
        self.jitter = min(max(jitter, 0), 1)
    }

    /// Delay before attempt `attempt` (1-based), given a random value in 0..<1.
    public func delay(attempt: Int, random: Double) -> TimeInterval {
        let exponent = Double(min(max(attempt - 1, 0), 30))
        let full = min(maximum, base * pow(2, exponent))
        return full * (1 - jitter) + full * jitter * min(max(random, 0), 1)
    }
}
