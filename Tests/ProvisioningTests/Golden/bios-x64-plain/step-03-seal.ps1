# Vizor post-install step 'seal' for WS2019-BIOS, job job-bios-x64.
# Generalize for the template. /quit, not /shutdown: the runner reports the end,
# then removes Vizor's files (the answer file, the job token) and powers off.
$sysprep = Join-Path $env:SystemRoot 'System32\Sysprep\sysprep.exe'
$answers = Join-Path $VizorDir 'sysprep.xml'
$tag = Join-Path $env:SystemRoot 'System32\Sysprep\Sysprep_succeeded.tag'
Remove-Item -Path $tag -Force -ErrorAction SilentlyContinue
Write-Output 'generalizing with sysprep'
Invoke-VizorProcess -FilePath $sysprep -Detached -Arguments @('/generalize', '/oobe', '/quit', '/quiet', ('/unattend:"{0}"' -f $answers))
if (-not (Test-Path $tag)) {
    throw 'sysprep did not report success; see C:\Windows\System32\Sysprep\Panther\setuperr.log'
}
