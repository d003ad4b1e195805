import Foundation

/// UTF-8 text of a file, or nil when it is missing, unreadable or not UTF-8.
func readTextFile(_ path: String) -> String? {
    guard let data = FileManager.default.contents(atPath: path) else { return nil }
    return String(data: data, encoding: .utf8)
}
