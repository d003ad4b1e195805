# Vizor post-install step 'seal' for W10-X86-DE, job job-bios-x86.
# The machine stops here; Vizor sees it powered off and makes the template.
$winlogon = 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon'
Set-ItemProperty -Path $winlogon -Name 'AutoAdminLogon' -Value '0'
Remove-ItemProperty -Path $winlogon -Name 'DefaultPassword' -ErrorAction SilentlyContinue
Write-Output 'removing the Vizor files and powering off'
Set-Location -Path $env:SystemRoot
Remove-Item -Path $VizorDir -Recurse -Force -ErrorAction SilentlyContinue
Stop-Computer -Force
