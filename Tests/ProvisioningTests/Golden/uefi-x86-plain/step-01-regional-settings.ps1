# Vizor post-install step 'regional-settings' for W10-X86-UEFI, job job-uefi-x86.
# Regional settings: display language, locales, keyboards and location for this
# user, the welcome screen and new users; then the time zone.
$control = Join-Path $env:SystemRoot 'System32\control.exe'
if (Get-Command -Name 'Set-WinUserLanguageList' -ErrorAction SilentlyContinue) {
    # Every installed language stays in the list, or Windows removes its pack.
    $languages = @('en-US')
    $list = New-WinUserLanguageList -Language $languages[0]
    foreach ($language in ($languages | Select-Object -Skip 1)) {
        $list.Add($language)
    }
    $list[0].InputMethodTips.Clear()
    foreach ($tip in @('0409:00000409')) {
        $list[0].InputMethodTips.Add($tip)
    }
    Set-WinUserLanguageList -LanguageList $list -Force
    Set-WinUILanguageOverride -Language 'en-US'
    Set-WinDefaultInputMethodOverride -InputTip '0409:00000409'
    Set-Culture -CultureInfo 'en-US'
    Set-WinHomeLocation -GeoId 244
    if ((Get-WinSystemLocale).Name -ne 'en-US') {
        Set-WinSystemLocale -SystemLocale 'en-US'
        # The system locale takes effect at the next start.
        Request-VizorReboot
    }
    if (Get-Command -Name 'Copy-UserInternationalSettingsToSystem' -ErrorAction SilentlyContinue) {
        Copy-UserInternationalSettingsToSystem -WelcomeScreen $true -NewUser $true
    } else {
        $copy = Join-Path $VizorDir 'l18n-copy.xml'
        Set-Content -Path $copy -Encoding UTF8 -Value '<gs:GlobalizationServices xmlns:gs="urn:longhornGlobalizationUnattend"><gs:UserList><gs:User UserID="Current" CopySettingsToDefaultUserAcct="true" CopySettingsToSystemAcct="true" /></gs:UserList></gs:GlobalizationServices>'
        Invoke-VizorProcess -FilePath $control -Detached -Arguments @(('intl.cpl,,/f:"{0}"' -f $copy))
    }
} else {
    # No International module (Windows 7, Server 2008 R2): intl.cpl sets and copies everything.
    $file = Join-Path $VizorDir 'l18n.xml'
    Invoke-VizorProcess -FilePath $control -Detached -Arguments @(('intl.cpl,,/f:"{0}"' -f $file))
}
Invoke-VizorProcess -FilePath (Join-Path $env:SystemRoot 'System32\tzutil.exe') -Arguments @('/s', 'Eastern Standard Time')
