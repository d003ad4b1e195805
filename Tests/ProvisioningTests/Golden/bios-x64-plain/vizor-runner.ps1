# Vizor post-install runner for WS2019-BIOS, job job-bios-x64.
# Rendered by Vizor for this node. Runs the steps below in order; the state of
# each step is kept under the state directory so a reboot resumes the step it
# interrupted. Output and results go to Razor's /svc/log as they happen.
$ErrorActionPreference = 'Stop'
$VizorJob = 'job-bios-x64'
$VizorSvc = 'http://192.0.2.20:8150/svc'
$VizorDir = 'C:\ProgramData\Vizor'
$VizorStateDir = Join-Path $VizorDir 'state'
$VizorTaskName = 'VizorRunner'
$VizorStorePolicy = 'HKLM:\SOFTWARE\Policies\Microsoft\WindowsStore'
$VizorFiles = @(
    @{ Name = 'l18n.xml'; Url = 'http://192.0.2.10:8160/artefacts/job-bios-x64/l18n.xml?token=tok-0123456789abcdef0123' },
    @{ Name = 'sysprep.xml'; Url = 'http://192.0.2.10:8160/artefacts/job-bios-x64/sysprep.xml?token=tok-0123456789abcdef0123' },
    @{ Name = 'step-01-guest-tools.ps1'; Url = 'http://192.0.2.10:8160/artefacts/job-bios-x64/step-01-guest-tools.ps1?token=tok-0123456789abcdef0123' },
    @{ Name = 'step-02-regional-settings.ps1'; Url = 'http://192.0.2.10:8160/artefacts/job-bios-x64/step-02-regional-settings.ps1?token=tok-0123456789abcdef0123' },
    @{ Name = 'step-03-seal.ps1'; Url = 'http://192.0.2.10:8160/artefacts/job-bios-x64/step-03-seal.ps1?token=tok-0123456789abcdef0123' }
)
$VizorSteps = @(
    @{ Name = 'guest-tools'; File = 'step-01-guest-tools.ps1'; Seals = $false },
    @{ Name = 'regional-settings'; File = 'step-02-regional-settings.ps1'; Seals = $false },
    @{ Name = 'seal'; File = 'step-03-seal.ps1'; Seals = $true }
)
$global:VizorNodeId = $null
$global:VizorRebootRequested = $false

function Write-VizorLocal([string] $Text) {
    # Best effort: the sealing step removes the directory while output still flows.
    try {
        Add-Content -Path (Join-Path $VizorDir 'vizor-runner.log') -Value ('{0} {1}' -f (Get-Date -Format 's'), $Text)
    } catch {
        Write-Host $Text
    }
}

function Invoke-VizorService([string] $Path) {
    if (-not $global:VizorNodeId) { return }
    try {
        [void](New-Object System.Net.WebClient).DownloadString($VizorSvc + $Path)
    } catch {
        Write-VizorLocal ('could not reach Razor: {0}' -f $_.Exception.Message)
    }
}

function Send-VizorLog([string] $Message, [string] $Severity = 'info') {
    Write-VizorLocal ('[{0}] {1}' -f $Severity, $Message)
    $text = $Message
    while ($text.Length -gt 0) {
        $chunk = $text.Substring(0, [Math]::Min(900, $text.Length))
        $text = $text.Substring($chunk.Length)
        Invoke-VizorService ('/log/{0}?severity={1}&msg={2}' -f $global:VizorNodeId, $Severity, [Uri]::EscapeDataString($chunk))
    }
}

function Send-VizorStage([string] $Name) {
    Write-VizorLocal ('stage {0}' -f $Name)
    Invoke-VizorService ('/stage-done/{0}?name={1}' -f $global:VizorNodeId, [Uri]::EscapeDataString($Name))
}

function Request-VizorReboot {
    $global:VizorRebootRequested = $true
}

function Invoke-VizorProcess {
    param(
        [string] $FilePath,
        [string[]] $Arguments = @(),
        [int[]] $Success = @(0),
        [int[]] $Reboot = @(3010, 1641),
        [switch] $Detached
    )
    if ($Detached) {
        $process = Start-Process -FilePath $FilePath -ArgumentList $Arguments -Wait -PassThru
        $code = $process.ExitCode
    } else {
        $ErrorActionPreference = 'Continue'
        & $FilePath @Arguments 2>&1 | ForEach-Object { [string]$_ }
        $code = $LASTEXITCODE
    }
    Write-Output ('{0} exited with code {1}' -f $FilePath, $code)
    if ($Reboot -contains $code) {
        Request-VizorReboot
    } elseif ($Success -notcontains $code) {
        throw ('{0} failed with exit code {1}' -f $FilePath, $code)
    }
}

function Get-VizorNodeId {
    $cache = Join-Path $VizorStateDir 'node-id'
    if (Test-Path $cache) {
        return [string](Get-Content $cache | Select-Object -First 1)
    }
    $query = @()
    $number = 0
    foreach ($adapter in @(Get-WmiObject Win32_NetworkAdapterConfiguration -Filter 'IPEnabled = True')) {
        if ($adapter.MACAddress) {
            $query += ('net{0}={1}' -f $number, $adapter.MACAddress.Replace(':', '-').ToLower())
            $number++
        }
    }
    for ($try = 1; $try -le 10; $try++) {
        try {
            $answer = (New-Object System.Net.WebClient).DownloadString($VizorSvc + '/nodeid?' + ($query -join '&'))
            if ($answer -match '"id"\s*:\s*"?(\d+)') {
                Set-Content -Path $cache -Value $Matches[1]
                return $Matches[1]
            }
        } catch {
            Write-VizorLocal ('node id lookup failed: {0}' -f $_.Exception.Message)
        }
        Start-Sleep -Seconds 3
    }
    return $null
}

function Register-VizorResume {
    # A Task Scheduler task that starts the runner at this user's logon (auto-logon
    # logs on after every restart), elevated, in the user's session as the Run key
    # did. The Task Scheduler runs it on every edition: Run keys are processed by
    # Explorer, and Server Core has none. The COM API works from Windows 7 on and
    # needs no password for an interactive-token task.
    $user = [Security.Principal.WindowsIdentity]::GetCurrent().Name
    $service = New-Object -ComObject 'Schedule.Service'
    $service.Connect()
    $task = $service.NewTask(0)
    $task.Settings.ExecutionTimeLimit = 'PT0S'
    $task.Principal.UserId = $user
    $task.Principal.LogonType = 3
    $task.Principal.RunLevel = 1
    $trigger = $task.Triggers.Create(9)
    $trigger.UserId = $user
    $action = $task.Actions.Create(0)
    $action.Path = Join-Path $env:SystemRoot 'System32\WindowsPowerShell\v1.0\powershell.exe'
    $action.Arguments = ('-NoProfile -ExecutionPolicy Bypass -File "{0}"' -f (Join-Path $VizorDir 'vizor-runner.ps1'))
    [void]$service.GetFolder('\').RegisterTaskDefinition($VizorTaskName, $task, 6, $user, $null, 3)
}

function Unregister-VizorResume {
    try {
        $service = New-Object -ComObject 'Schedule.Service'
        $service.Connect()
        $service.GetFolder('\').DeleteTask($VizorTaskName, 0)
    } catch {
        Write-VizorLocal ('the resume task was not removed: {0}' -f $_.Exception.Message)
    }
}

function Disable-VizorStoreUpdates {
    # Store apps that update for a user make sysprep /generalize fail (KB2769827):
    # no automatic Store updates until the machine is sealed.
    if (-not (Test-Path $VizorStorePolicy)) {
        New-Item -Path $VizorStorePolicy -Force | Out-Null
    }
    Set-ItemProperty -Path $VizorStorePolicy -Name 'AutoDownload' -Value 2 -Type DWord
}

function Complete-VizorSequence {
    # The machine is sealed and the end reported: stop resuming, give the Store its
    # updates back, end the auto-logon with the build password, remove Vizor's files
    # (the answer file, the job token) and power off.
    Unregister-VizorResume
    Remove-ItemProperty -Path $VizorStorePolicy -Name 'AutoDownload' -ErrorAction SilentlyContinue
    $winlogon = 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon'
    Set-ItemProperty -Path $winlogon -Name 'AutoAdminLogon' -Value '0'
    Remove-ItemProperty -Path $winlogon -Name 'DefaultPassword' -ErrorAction SilentlyContinue
    Write-VizorLocal 'removing the Vizor files and powering off'
    Set-Location -Path $env:SystemRoot
    Remove-Item -Path $VizorDir -Recurse -Force -ErrorAction SilentlyContinue
    Stop-Computer -Force
}

function Get-VizorStepState([string] $Name) {
    $file = Join-Path $VizorStateDir ($Name + '.state')
    if (Test-Path $file) {
        return [string](Get-Content $file | Select-Object -First 1)
    }
    return 'pending'
}

function Set-VizorStepState([string] $Name, [string] $State) {
    Set-Content -Path (Join-Path $VizorStateDir ($Name + '.state')) -Value $State
}

function Save-VizorFile([string] $Url, [string] $Target) {
    for ($try = 1; $try -le 10; $try++) {
        try {
            (New-Object System.Net.WebClient).DownloadFile($Url, $Target + '.part')
            Move-Item -Path ($Target + '.part') -Destination $Target -Force
            return
        } catch {
            Write-VizorLocal ('download of {0} failed (try {1}): {2}' -f $Target, $try, $_.Exception.Message)
            Start-Sleep -Seconds (3 * $try)
        }
    }
    throw ('could not download {0}' -f $Target)
}

New-Item -ItemType Directory -Force -Path $VizorStateDir | Out-Null
$global:VizorNodeId = Get-VizorNodeId
if (-not $global:VizorNodeId) {
    Write-VizorLocal 'Razor did not tell this node its id; progress is only logged locally'
}

try {
    foreach ($file in $VizorFiles) {
        $target = Join-Path $VizorDir $file.Name
        if (-not (Test-Path $target)) {
            Save-VizorFile -Url $file.Url -Target $target
        }
    }
} catch {
    Send-VizorLog ('post-install files could not be fetched: {0}' -f $_.Exception.Message) 'error'
    Send-VizorStage 'postinstall_failed'
    exit 1
}

# Start again at every logon (auto-logon) until the machine is sealed, on every edition.
Register-VizorResume
Disable-VizorStoreUpdates

foreach ($step in $VizorSteps) {
    $state = Get-VizorStepState $step.Name
    if ($state -eq 'done') {
        continue
    }
    if ($state -eq 'running') {
        Send-VizorLog ('step {0} was interrupted by a restart; running it again' -f $step.Name) 'warn'
    }
    Set-VizorStepState $step.Name 'running'
    Send-VizorStage ($step.Name + '_begins')
    $global:VizorRebootRequested = $false
    # Each line of output goes to Razor as it appears, so the dashboard follows the step live.
    $failure = $null
    try {
        & (Join-Path $VizorDir $step.File) 2>&1 | ForEach-Object {
            $line = ([string]$_).TrimEnd()
            if ($line.Length -gt 0) {
                Send-VizorLog ('{0}: {1}' -f $step.Name, $line)
            }
        }
    } catch {
        $failure = $_
    }
    if ($failure) {
        # The step stays to be run again: the next logon (a restart, or a retry from Vizor) resumes here.
        Set-VizorStepState $step.Name 'failed'
        Send-VizorLog ('step {0} failed: {1}' -f $step.Name, ($failure | Out-String).Trim()) 'error'
        Send-VizorStage ($step.Name + '_failed')
        exit 1
    }
    Set-VizorStepState $step.Name 'done'
    Send-VizorStage ($step.Name + '_ends')
    if ($step.Seals) {
        # Sealed (sysprep succeeded, or nothing to generalize): only now is the sequence finished.
        Send-VizorStage 'postinstall_finished'
        Complete-VizorSequence
        exit 0
    }
    if ($global:VizorRebootRequested) {
        Send-VizorLog ('step {0} needs a restart; the sequence resumes after logon' -f $step.Name)
        Restart-Computer -Force
        exit 0
    }
}
Unregister-VizorResume
