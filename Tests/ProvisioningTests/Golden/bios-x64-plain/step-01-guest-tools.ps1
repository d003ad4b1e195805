# Vizor post-install step 'guest-tools' for WS2019-BIOS, job job-bios-x64.
# XenServer VM Tools: the management agent MSI from the tools CD, silent, no
# self-update (Vizor decides what a template carries).
$installed = @(Get-Service -Name 'xenagent', 'XenSvc' -ErrorAction SilentlyContinue)
if ($installed.Count -gt 0) {
    Write-Output ('XenServer VM Tools already installed ({0})' -f (($installed | ForEach-Object { $_.Name }) -join ', '))
    return
}
$found = $null
$patterns = @('managementagentx64.msi', 'managementagent-*-x64.msi')
foreach ($drive in @(Get-WmiObject Win32_LogicalDisk -Filter 'DriveType = 5')) {
    foreach ($pattern in $patterns) {
        if (-not $found) {
            $found = Get-ChildItem -Path ($drive.DeviceID + '\') -Filter $pattern -Recurse -ErrorAction SilentlyContinue | Select-Object -First 1
        }
    }
}
if (-not $found) {
    throw 'no XenServer management agent MSI on any CD drive; insert the guest tools ISO and log on again'
}
$log = Join-Path $VizorDir 'xenserver-tools-msi.log'
Invoke-VizorProcess -FilePath 'msiexec.exe' -Detached -Arguments @('/i', ('"{0}"' -f $found.FullName), '/qn', '/norestart', '/L*v', ('"{0}"' -f $log), 'ALLOWAUTOUPDATE=NO', 'ALLOWDRIVERINSTALL=YES', 'ALLOWDRIVERUPDATE=NO', 'IDENTIFYAUTOUPDATE=NO')
# The paravirtual drivers take over only after a restart.
Request-VizorReboot
