# Vizor post-install step 'custom-check-pv-drivers' for ws2019-fr, job job-uefi-x64.
# Operator step, inserted as given.
$drivers = @(Get-WmiObject Win32_PnPSignedDriver | Where-Object { $_.DeviceName -like '*Xen*' })
if ($drivers.Count -eq 0) {
    throw 'no Xen PV drivers found'
}
Write-Output ('{0} Xen drivers present' -f $drivers.Count)
