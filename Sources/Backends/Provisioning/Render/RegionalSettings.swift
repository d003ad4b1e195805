/// Renders the `intl.cpl` GlobalizationServices file the regional-settings
/// step applies with `control.exe intl.cpl,,/f:`. It sets the UI language
/// (after a language pack is added), locales, keyboard and location for the
/// current user and copies them to the default user and the system account,
/// which works on every Windows version from 7 on.
public enum RegionalSettingsRenderer {
    public static func render(_ install: ValidatedInstall) -> String {
        let spec = install.spec
        var input: [XMLNode] = []
        for (number, profile) in install.inputProfiles.enumerated() {
            var attributes = [("Action", "add"), ("ID", profile)]
            if number == 0 { attributes.append(("Default", "true")) }
            input.append(XMLNode("gs:InputLanguageID", attributes))
        }
        return XMLNode("gs:GlobalizationServices", [("xmlns:gs", "urn:longhornGlobalizationUnattend")], [
            XMLNode("gs:UserList", [], [XMLNode("gs:User", [
                ("UserID", "Current"), ("CopySettingsToDefaultUserAcct", "true"), ("CopySettingsToSystemAcct", "true"),
            ])]),
            XMLNode("gs:LocationPreferences", [], [XMLNode("gs:GeoID", [("Value", String(install.geoID))])]),
            XMLNode("gs:MUILanguagePreferences", [], [
                XMLNode("gs:MUILanguage", [("Value", spec.uiLanguage)]),
                XMLNode("gs:MUIFallback", [("Value", install.edition.defaultLanguage)]),
            ]),
            XMLNode("gs:SystemLocale", [("Name", spec.systemLocale)]),
            XMLNode("gs:InputPreferences", [], input),
            XMLNode("gs:UserLocale", [], [XMLNode("gs:Locale", [
                ("Name", spec.userLocale), ("SetAsCurrent", "true"), ("ResetAllSettings", "true"),
            ])]),
        ]).document()
    }
}
