@echo off
rem Vizor WinPE start-up for WS2019-BIOS, job job-bios-x64. Rendered by Vizor for this node.
setlocal EnableExtensions EnableDelayedExpansion
set "VZ_SVC=http://192.0.2.20:8150/svc"
set "VZ_SHARE=\\192.0.2.10\vizor-win2019-x64"
set "VZ_LOG=X:\vizor-winpe.log"
set "VZ_ANSWER=%SYSTEMROOT%\System32\autounattend.xml"
set "VZ_ID="
echo [vizor] start-up for job job-bios-x64 > "%VZ_LOG%"
if not exist "%SYSTEMROOT%\System32\curl.exe" (
  echo [vizor] this WinPE has no curl.exe; set exposure.winpe_curl.amd64 in Vizor's configuration to a curl.exe for Vizor to inject.
  exit /b 1
)

echo [vizor] initialising the network
wpeutil InitializeNetwork >> "%VZ_LOG%" 2>&1
wpeutil WaitForNetwork >> "%VZ_LOG%" 2>&1
set /a VZ_TRY=0
:wait_address
ipconfig | find "IPv4" >nul && goto have_address
set /a VZ_TRY+=1
if !VZ_TRY! GEQ 30 goto have_address
ping -n 3 127.0.0.1 >nul
goto wait_address
:have_address

rem Hardware ids from every MAC, net0=52-54-00-aa-bb-01 and so on, as /svc/nodeid expects.
set "VZ_HWID="
set /a VZ_N=0
for /f "tokens=*" %%L in ('ipconfig /all ^| findstr /r "[0-9A-F][0-9A-F]-[0-9A-F][0-9A-F]-[0-9A-F][0-9A-F]-[0-9A-F][0-9A-F]-[0-9A-F][0-9A-F]-[0-9A-F][0-9A-F]$"') do (
  for %%T in (%%L) do set "VZ_LAST=%%T"
  if "!VZ_LAST:~17!"=="" if not "!VZ_LAST:~16!"=="" (
    set "VZ_HWID=!VZ_HWID!&net!VZ_N!=!VZ_LAST!"
    set /a VZ_N+=1
  )
)
if not defined VZ_HWID (
  echo [vizor] no network adapter with a MAC address was found.
  exit /b 1
)
set "VZ_HWID=!VZ_HWID:~1!"

rem Node id from Razor, 10 tries 3 seconds apart.
for /l %%I in (1,1,10) do if not defined VZ_ID (
  curl.exe -fsS -o X:\vizor-nodeid.json "%VZ_SVC%/nodeid?!VZ_HWID!" >> "%VZ_LOG%" 2>&1
  if exist X:\vizor-nodeid.json for /f "tokens=2 delims=:}" %%V in (X:\vizor-nodeid.json) do set "VZ_ID=%%~V"
  if not defined VZ_ID ping -n 4 127.0.0.1 >nul
)
if not defined VZ_ID (
  echo [vizor] Razor did not tell this node its id; see %VZ_LOG%.
  exit /b 1
)
set "VZ_ID=!VZ_ID: =!"
call :report info winpe_started_node_!VZ_ID!

rem Guest logons are refused by default since Windows 10 1709 (KB4046019).
reg add "HKLM\SYSTEM\CurrentControlSet\Services\LanmanWorkstation\Parameters" /v AllowInsecureGuestAuth /t REG_DWORD /d 1 /f >> "%VZ_LOG%" 2>&1
rem Map the install media share, up to 30 tries with growing pauses.
set /a VZ_TRY=0
:map_share
set /a VZ_TRY+=1
net use Z: /delete /y >nul 2>&1
net use Z: "%VZ_SHARE%" "vizor" /user:"vizor-guest" /persistent:no < NUL >> "%VZ_LOG%" 2>&1
set VZ_RC=!errorlevel!
call :report info net_use_try_!VZ_TRY!_exit_code_!VZ_RC!
if "!VZ_RC!"=="0" goto mapped
if !VZ_TRY! GEQ 30 (
  call :report error map_network_share_failed
  exit /b 1
)
set /a VZ_WAIT=VZ_TRY*2+1
if !VZ_WAIT! GTR 21 set /a VZ_WAIT=21
ping -n !VZ_WAIT! 127.0.0.1 >nul
goto map_share
:mapped

call :report info start_installer
Z:\setup.exe /unattend:"%VZ_ANSWER%" /noreboot
set VZ_RC=!errorlevel!
call :report info setup_exit_code_!VZ_RC!
if not "!VZ_RC!"=="0" (
  if exist X:\Windows\Panther\setuperr.log type X:\Windows\Panther\setuperr.log >> "%VZ_LOG%"
  call :report error unexpected_exit_code_!VZ_RC!
  exit /b 1
)
curl.exe -fsS -o NUL "%VZ_SVC%/stage-done/!VZ_ID!?name=finished" >> "%VZ_LOG%" 2>&1
wpeutil reboot
exit /b 0

:report
rem Arguments: severity, then a URL-safe message token.
echo [vizor] %~1: %~2
curl.exe -fsS -o NUL "%VZ_SVC%/log/!VZ_ID!?severity=%~1&msg=%~2" >> "%VZ_LOG%" 2>&1
exit /b 0
