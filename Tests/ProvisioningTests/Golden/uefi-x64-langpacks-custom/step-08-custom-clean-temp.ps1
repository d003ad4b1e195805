# Vizor post-install step 'custom-clean-temp' for ws2019-fr, job job-uefi-x64.
# Operator step, inserted as given.
Remove-Item -Path (Join-Path $env:TEMP '*') -Recurse -Force -ErrorAction SilentlyContinue
