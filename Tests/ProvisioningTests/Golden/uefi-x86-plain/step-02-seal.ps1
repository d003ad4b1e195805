# Vizor post-install step 'seal' for W10-X86-UEFI, job job-uefi-x86.
# The machine stops here; Vizor sees it powered off and makes the template.
$winlogon = 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon'
Set-ItemProperty -Path $winlogon -Name 'AutoAdminLogon' -Value '0'
Remove-ItemProperty -Path $winlogon -Name 'DefaultPassword' -ErrorAction SilentlyContinue
$sysprep = Join-Path $env:SystemRoot 'System32\Sysprep\sysprep.exe'
$answers = Join-Path $VizorDir 'sysprep.xml'
Write-Output 'generalizing with sysprep; the machine powers off when it is done'
Invoke-VizorProcess -FilePath $sysprep -Detached -Arguments @('/generalize', '/oobe', '/shutdown', '/quiet', ('/unattend:"{0}"' -f $answers))
