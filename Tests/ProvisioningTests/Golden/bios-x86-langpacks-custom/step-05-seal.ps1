# Vizor post-install step 'seal' for W10-X86-DE, job job-bios-x86.
# Nothing to generalize: the runner reports the end and powers the machine off as it is.
Write-Output 'nothing to generalize; the machine powers off as it is'
