/// Renders the `intl.cpl` GlobalizationServices file the regional-settings
/// step applies with `control.exe intl.cpl,,/f:` where Windows has no
/// International cmdlets (Windows 7, Server 2008 R2). It sets the UI language
/// (after a language pack is added), locales, keyboard and location for the
/// current user and copies them to the default user and the system account.
/// Later Windows get the cmdlets instead (see `StepRenderer.regionalSettings`):
/// from Windows 10 on, intl.cpl does not set the user language list.
public enum RegionalSettingsRenderer {
    public static func render(_ install: ValidatedInstall) -> String {
        let spec = install.spec
        var input: [XMLTree] = []
        for (number, profile) in install.inputProfiles.enumerated() {
            var attributes = [("Action", "add"), ("ID", profile)]
            if number == 0 { attributes.append(("Default", "true")) }
            input.append(XMLTree("gs:InputLanguageID", attributes))
        }
        return XMLTree("gs:GlobalizationServices", [("xmlns:gs", "urn:longhornGlobalizationUnattend")], [
            XMLTree("gs:UserList", [], [XMLTree("gs:User", [
                ("UserID", "Current"), ("CopySettingsToDefaultUserAcct", "true"), ("CopySettingsToSystemAcct", "true"),
            ])]),
            XMLTree("gs:LocationPreferences", [], [XMLTree("gs:GeoID", [("Value", String(install.geoID))])]),
            XMLTree("gs:MUILanguagePreferences", [], [
                XMLTree("gs:MUILanguage", [("Value", spec.uiLanguage)]),
                XMLTree("gs:MUIFallback", [("Value", install.edition.defaultLanguage)]),
            ]),
            XMLTree("gs:SystemLocale", [("Name", spec.systemLocale)]),
            XMLTree("gs:InputPreferences", [], input),
            XMLTree("gs:UserLocale", [], [XMLTree("gs:Locale", [
                ("Name", spec.userLocale), ("SetAsCurrent", "true"), ("ResetAllSettings", "true"),
            ])]),
        ]).document()
    }
}
