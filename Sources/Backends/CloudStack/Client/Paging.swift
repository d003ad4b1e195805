import BackendKit

extension CloudStackClient {
    /// Every row of a list command, fetched page by page (`page` from 1,
    /// `pagesize` as configured, at most 500) until `count` rows are in, or
    /// a page comes back without the item key (`{}` or `{"count":N}` past
    /// the end) or short. Without paging a listing silently stops at 500.
    public func listAll(_ command: String, itemKey: String, _ parameters: [String: String] = [:]) async throws -> [CSValue] {
        let pageSize = max(1, min(configuration.pageSize, 500))
        var rows: [CSValue] = []
        var page = 1
        while true {
            var query = parameters
            query["page"] = String(page)
            query["pagesize"] = String(pageSize)
            let answer = try await call(command, query)
            guard let items = answer[itemKey]?.array, !items.isEmpty else { break }
            rows.append(contentsOf: items)
            let total = answer["count"]?.int.map(Int.init) ?? rows.count
            if rows.count >= total || items.count < pageSize { break }
            page += 1
            if page > 100_000 {
                throw BackendError(.protocolViolation, backend: cloudstackBackendName,
                                   message: "\(command): paging does not end (count \(total), \(rows.count) rows read)")
            }
        }
        return rows
    }
}
