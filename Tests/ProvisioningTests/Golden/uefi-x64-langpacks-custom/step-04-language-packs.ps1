# Vizor post-install step 'language-packs' for ws2019-fr, job job-uefi-x64.
# Language packs with DISM from the language-pack media (build 17763, amd64).
$packs = @(
    @{ Locale = 'fr-FR'; Url = 'http://192.0.2.10:8160/media/lp-1809/x64/langpacks/Microsoft-Windows-Server-Language-Pack_x64_fr-fr.cab' },
    @{ Locale = 'de-DE'; Url = 'http://192.0.2.10:8160/media/lp-1809/x64/langpacks/Microsoft-Windows-Server-Language-Pack_x64_de-de.cab' }
)
$present = @((Get-WmiObject Win32_OperatingSystem).MUILanguages)
$folder = Join-Path $VizorDir 'langpacks'
New-Item -ItemType Directory -Force -Path $folder | Out-Null
foreach ($pack in $packs) {
    if ($present -contains $pack.Locale) {
        Write-Output ('language {0} is installed already' -f $pack.Locale)
        continue
    }
    $cab = Join-Path $folder ($pack.Locale + '.cab')
    if (-not (Test-Path $cab)) {
        Save-VizorFile -Url $pack.Url -Target $cab
    }
    Invoke-VizorProcess -FilePath (Join-Path $env:SystemRoot 'System32\dism.exe') -Arguments @('/Online', '/Add-Package', ('/PackagePath:{0}' -f $cab), '/NoRestart', '/Quiet')
    Request-VizorReboot
}
