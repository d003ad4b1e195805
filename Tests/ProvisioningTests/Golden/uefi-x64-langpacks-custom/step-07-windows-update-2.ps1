# Vizor post-install step 'windows-update-2' for ws2019-fr, job job-uefi-x64.
# Windows Update, round 2 of 2: every applicable software update.
$session = New-Object -ComObject 'Microsoft.Update.Session'
$searcher = $session.CreateUpdateSearcher()
$result = $searcher.Search("IsInstalled=0 and Type='Software' and IsHidden=0")
Write-Output ('{0} updates found' -f $result.Updates.Count)
if ($result.Updates.Count -eq 0) {
    return
}
$updates = New-Object -ComObject 'Microsoft.Update.UpdateColl'
foreach ($update in $result.Updates) {
    if (-not $update.EulaAccepted) {
        $update.AcceptEula()
    }
    Write-Output ('  {0}' -f $update.Title)
    [void]$updates.Add($update)
}
$downloader = $session.CreateUpdateDownloader()
$downloader.Updates = $updates
[void]$downloader.Download()
$installer = $session.CreateUpdateInstaller()
$installer.Updates = $updates
$outcome = $installer.Install()
Write-Output ('result code {0}, restart required {1}' -f $outcome.ResultCode, $outcome.RebootRequired)
# 2 succeeded, 3 succeeded with errors, 4 failed, 5 aborted.
if ($outcome.ResultCode -ge 4) {
    throw ('Windows Update round 2 failed with result code {0}' -f $outcome.ResultCode)
}
if ($outcome.RebootRequired) {
    Request-VizorReboot
}
