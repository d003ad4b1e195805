# Vizor post-install step 'custom-set-power-plan' for ws2019-fr, job job-uefi-x64.
# Operator step, inserted as given.
# Operator: high performance power plan.
& powercfg.exe /setactive 8c5e7fda-e8bf-4a96-9a85-a6e23a8c635c
Write-Output 'power plan set'
