/// What Vizor knows about a Windows locale: its default keyboard input
/// profile (`LANGID:KLID`) and the GeoID of its country, needed by the
/// answer file's InputLocale and by the regional-settings (intl.cpl) file.
public struct LocaleInfo: Sendable, Equatable {
    public var name: String
    public var inputProfile: String
    public var geoID: Int
}

/// The locales Vizor accepts, with their defaults.
public enum LocaleTable {
    public static func info(_ name: String) -> LocaleInfo? {
        byName[name.lowercased()]
    }

    /// True for `LLLL:KKKKKKKK` input profiles (hex language id and keyboard layout id).
    public static func isInputProfile(_ text: String) -> Bool {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 4, parts[1].count == 8 else { return false }
        return parts.allSatisfy { $0.allSatisfy(\.isHexDigit) }
    }

    static let entries: [LocaleInfo] = [
        .init(name: "en-US", inputProfile: "0409:00000409", geoID: 244),
        .init(name: "en-GB", inputProfile: "0809:00000809", geoID: 242),
        .init(name: "en-AU", inputProfile: "0c09:00000409", geoID: 12),
        .init(name: "en-CA", inputProfile: "1009:00000409", geoID: 39),
        .init(name: "en-IE", inputProfile: "1809:00001809", geoID: 68),
        .init(name: "de-DE", inputProfile: "0407:00000407", geoID: 94),
        .init(name: "de-AT", inputProfile: "0c07:00000407", geoID: 14),
        .init(name: "de-CH", inputProfile: "0807:00000807", geoID: 223),
        .init(name: "fr-FR", inputProfile: "040c:0000040c", geoID: 84),
        .init(name: "fr-BE", inputProfile: "080c:0000080c", geoID: 21),
        .init(name: "fr-CA", inputProfile: "0c0c:00001009", geoID: 39),
        .init(name: "fr-CH", inputProfile: "100c:0000100c", geoID: 223),
        .init(name: "es-ES", inputProfile: "0c0a:0000040a", geoID: 217),
        .init(name: "es-MX", inputProfile: "080a:0000080a", geoID: 166),
        .init(name: "it-IT", inputProfile: "0410:00000410", geoID: 118),
        .init(name: "nl-NL", inputProfile: "0413:00020409", geoID: 176),
        .init(name: "nl-BE", inputProfile: "0813:00000813", geoID: 21),
        .init(name: "pt-BR", inputProfile: "0416:00000416", geoID: 32),
        .init(name: "pt-PT", inputProfile: "0816:00000816", geoID: 193),
        .init(name: "ja-JP", inputProfile: "0411:00000411", geoID: 122),
        .init(name: "ko-KR", inputProfile: "0412:00000412", geoID: 134),
        .init(name: "zh-CN", inputProfile: "0804:00000804", geoID: 45),
        .init(name: "zh-TW", inputProfile: "0404:00000404", geoID: 237),
        .init(name: "ru-RU", inputProfile: "0419:00000419", geoID: 203),
        .init(name: "pl-PL", inputProfile: "0415:00000415", geoID: 191),
        .init(name: "sv-SE", inputProfile: "041d:0000041d", geoID: 221),
        .init(name: "da-DK", inputProfile: "0406:00000406", geoID: 61),
        .init(name: "fi-FI", inputProfile: "040b:0000040b", geoID: 77),
        .init(name: "nb-NO", inputProfile: "0414:00000414", geoID: 177),
        .init(name: "cs-CZ", inputProfile: "0405:00000405", geoID: 75),
        .init(name: "sk-SK", inputProfile: "041b:0000041b", geoID: 143),
        .init(name: "hu-HU", inputProfile: "040e:0000040e", geoID: 109),
        .init(name: "ro-RO", inputProfile: "0418:00010418", geoID: 200),
        .init(name: "bg-BG", inputProfile: "0402:00030402", geoID: 35),
        .init(name: "hr-HR", inputProfile: "041a:0000041a", geoID: 108),
        .init(name: "sl-SI", inputProfile: "0424:00000424", geoID: 212),
        .init(name: "et-EE", inputProfile: "0425:00000425", geoID: 70),
        .init(name: "lv-LV", inputProfile: "0426:00010426", geoID: 140),
        .init(name: "lt-LT", inputProfile: "0427:00010427", geoID: 141),
        .init(name: "el-GR", inputProfile: "0408:00000408", geoID: 98),
        .init(name: "tr-TR", inputProfile: "041f:0000041f", geoID: 235),
        .init(name: "uk-UA", inputProfile: "0422:00020422", geoID: 241),
        .init(name: "he-IL", inputProfile: "040d:0002040d", geoID: 117),
        .init(name: "ar-SA", inputProfile: "0401:00000401", geoID: 205),
        .init(name: "th-TH", inputProfile: "041e:0000041e", geoID: 227),
    ]

    static let byName: [String: LocaleInfo] = Dictionary(
        uniqueKeysWithValues: entries.map { ($0.name.lowercased(), $0) })
}
