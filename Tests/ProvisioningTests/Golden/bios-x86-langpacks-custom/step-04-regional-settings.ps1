# Vizor post-install step 'regional-settings' for W10-X86-DE, job job-bios-x86.
# Regional settings: UI language, locales, keyboard and location from l18n.xml
# for this user, the default user and the system account; then the time zone.
$file = Join-Path $VizorDir 'l18n.xml'
Invoke-VizorProcess -FilePath (Join-Path $env:SystemRoot 'System32\control.exe') -Detached -Arguments @(('intl.cpl,,/f:"{0}"' -f $file))
Invoke-VizorProcess -FilePath (Join-Path $env:SystemRoot 'System32\tzutil.exe') -Arguments @('/s', 'W. Europe Standard Time')
# A new display language takes effect at the next logon.
Request-VizorReboot
