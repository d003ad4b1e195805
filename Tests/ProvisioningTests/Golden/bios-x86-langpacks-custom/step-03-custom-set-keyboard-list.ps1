# Vizor post-install step 'custom-set-keyboard-list' for W10-X86-DE, job job-bios-x86.
# Operator step, inserted as given.
$list = New-WinUserLanguageList -Language 'de-DE'
Set-WinUserLanguageList -LanguageList $list -Force
