# Vizor post-install step 'guest-tools' for W10-X86-DE, job job-bios-x86.
# VMware Tools from the tools CD, silent, restart deferred to the runner.
if (Get-Service -Name 'VMTools' -ErrorAction SilentlyContinue) {
    Write-Output 'VMware Tools already installed'
    return
}
$found = $null
$patterns = @('setup.exe')
foreach ($drive in @(Get-WmiObject Win32_LogicalDisk -Filter 'DriveType = 5')) {
    foreach ($pattern in $patterns) {
        if (-not $found) {
            $found = Get-ChildItem -Path ($drive.DeviceID + '\') -Filter $pattern -ErrorAction SilentlyContinue | Select-Object -First 1
        }
    }
}
if (-not $found) {
    throw 'no VMware Tools setup on any CD drive; insert the VMware Tools ISO and log on again'
}
Invoke-VizorProcess -FilePath $found.FullName -Detached -Arguments @('/S', '/v', '"/qn REBOOT=R"')
Request-VizorReboot
