# Vizor post-install step 'seal' for W10-X86-UEFI, job job-uefi-x86.
# The machine stops here; Vizor sees it powered off and makes the template.
$winlogon = 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon'
Set-ItemProperty -Path $winlogon -Name 'AutoAdminLogon' -Value '0'
Remove-ItemProperty -Path $winlogon -Name 'DefaultPassword' -ErrorAction SilentlyContinue
$sysprep = Join-Path $env:SystemRoot 'System32\Sysprep\sysprep.exe'
$answers = Join-Path $VizorDir 'sysprep.xml'
Write-Output 'generalizing with sysprep'
# /quit, not /shutdown: Vizor's files (the answer file, the job token) are
# removed after sysprep has cached its answers and before the power-off.
Invoke-VizorProcess -FilePath $sysprep -Detached -Arguments @('/generalize', '/oobe', '/quit', '/quiet', ('/unattend:"{0}"' -f $answers))
if (-not (Test-Path (Join-Path $env:SystemRoot 'System32\Sysprep\Sysprep_succeeded.tag'))) {
    throw 'sysprep did not report success; see C:\Windows\System32\Sysprep\Panther\setuperr.log'
}
Write-Output 'removing the Vizor files and powering off'
Set-Location -Path $env:SystemRoot
Remove-Item -Path $VizorDir -Recurse -Force -ErrorAction SilentlyContinue
Stop-Computer -Force
