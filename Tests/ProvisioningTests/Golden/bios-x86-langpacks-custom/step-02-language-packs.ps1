# Vizor post-install step 'language-packs' for W10-X86-DE, job job-bios-x86.
# Language packs with DISM from the language-pack media (build 19041, x86).
$packs = @(
    @{ Locale = 'de-DE'; Url = 'http://192.0.2.10:8160/media/lp-2004/x86/langpacks/Microsoft-Windows-Client-Language-Pack_x86_de-de.cab' }
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
