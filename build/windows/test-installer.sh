#!/usr/bin/env bash
# Checks the Windows installer in DIST (built by build/windows/installer.sh)
# and runs it, silently, under Wine in a throw-away prefix: a per-user install
# without the PATH option, then with it against several PATHs, and each
# uninstall, reading the registry and files after every step.
#
# Wine runs the NSIS installer and uninstaller here, not the app: the
# installed exe is only compared byte for byte with the one that went in
# (build/windows/test-cli.sh runs that exe, with the ProcessPrng shim Debian
# 12's Wine 8.0 needs for Go 1.24+ programs). The WebView2 runtime is registered
# in the prefix first, so the bootstrapper step (which needs the network) is
# skipped; that step and the pages of the interactive install are not run.
set -euo pipefail
dist=${1:-build/dist}
exe=${2:-build/bin/audience-uploader.exe}
passed=0 failed=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1"; failed=$((failed + 1)); }
check() { if eval "$2"; then ok "$1"; else fail "$1"; fi; }

shopt -s nullglob
installers=("$dist"/audience-uploader-*-windows-amd64-setup.exe)
if [ "${#installers[@]}" != 1 ]; then
	echo "expected one Windows installer in $dist, found ${#installers[@]}: run make package-windows" >&2
	exit 1
fi
installer=$(readlink -f "${installers[0]}")
name=$(basename "$installer")
version=${name#audience-uploader-}
version=${version%-windows-amd64-setup.exe}

check "SHA256SUMS lists the installer and matches it" \
	'(cd "$dist" && grep -q " $name\$" SHA256SUMS && sha256sum --quiet -c SHA256SUMS)'
check "the installer is a 64-bit Windows GUI program" \
	'file -b "$installer" | grep -q "^PE32+ executable (GUI) x86-64"'
# RequestExecutionLevel user: the manifest asks for no elevation (no UAC prompt).
check "the installer's manifest asks for no administrator rights (asInvoker)" \
	'grep -aq "requestedExecutionLevel level=\"asInvoker\"" "$installer"'

export WINEPREFIX WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=" WINEARCH=win64
WINEPREFIX=$(mktemp -d)
cleanup() {
	wineserver -k 2>/dev/null || true
	rm -rf "$WINEPREFIX"
}
trap cleanup EXIT
# wine prints CRLF; every value read back is stripped of the CR.
win() { wine "$@" 2>/dev/null | tr -d '\r'; }
echo "creating a Wine prefix in $WINEPREFIX"
wineboot -i >/dev/null 2>&1
wineserver -w
win reg add 'HKCU\Software\Wine' /v Version /t REG_SZ /d win10 /f >/dev/null
win reg add 'HKCU\Software\Microsoft\EdgeUpdate\Clients\{F3017226-FE2A-4295-8BDF-00C3A9A7E4C5}' /v pv /t REG_SZ /d 120.0.0.0 /f >/dev/null

localappdata=$(win cmd /c echo %LOCALAPPDATA%)
instdir="$localappdata\\Programs\\Audience Uploader"
unix_instdir=$(winepath -u "$instdir" 2>/dev/null)
startmenu=$(winepath -u "$(win cmd /c echo %APPDATA%)\\Microsoft\\Windows\\Start Menu\\Programs" 2>/dev/null)
uninst_key='HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\Audience UploaderAudience Uploader'

# reg_value KEY NAME: prints "TYPE DATA" of a value, nothing if it is absent.
reg_value() {
	win reg query "$1" /v "$2" | awk -v name="$2" -F '    ' '$2 == name { print $3 " " $4 }'
}
set_user_path() {
	if [ -z "$1" ]; then
		win reg delete 'HKCU\Environment' /v Path /f >/dev/null || true
	else
		win reg add 'HKCU\Environment' /v Path /t REG_EXPAND_SZ /d "$1" /f >/dev/null
	fi
}
user_path() { reg_value 'HKCU\Environment' Path; }
# A run that fails (e.g. a 32-bit installer, which Wine without wine32
# cannot start) ends the test: nothing after it could pass.
stop() {
	fail "$1"
	echo "$passed passed, $failed failed (Windows installer under Wine)"
	exit 1
}
install() {
	win "$installer" /S "$@" >/dev/null || stop "the installer runs under Wine (/S $*)"
	wineserver -w
}
# The uninstaller copies itself to %TEMP% and returns at once; wineserver -w
# waits for the copy to finish.
uninstall() {
	win "$instdir\\uninstall.exe" /S >/dev/null || stop "the uninstaller runs under Wine (/S)"
	wineserver -w
}
check_removed() {
	check "$1: the install folder is gone" '[ ! -e "$unix_instdir" ]'
	check "$1: the Start-menu entry is gone" '[ ! -e "$startmenu/Audience Uploader.lnk" ]'
	check "$1: the uninstall key is gone" '[ -z "$(reg_value "$uninst_key" DisplayName)" ]'
}

# 1. Default install: the PATH box is unchecked, so PATH stays as it was.
set_user_path '%USERPROFILE%\bin;C:\Tools'
install
check "installs into %LOCALAPPDATA%\\Programs\\Audience Uploader" '[ -f "$unix_instdir/audience-uploader.exe" ] && [ -f "$unix_instdir/uninstall.exe" ]'
check "the installed exe is the cross-built one, byte for byte" 'cmp -s "$exe" "$unix_instdir/audience-uploader.exe"'
check "a Start-menu entry" '[ -f "$startmenu/Audience Uploader.lnk" ]'
check "the uninstaller is registered under HKCU ...\\Uninstall" \
	'[ "$(reg_value "$uninst_key" UninstallString)" = "REG_SZ \"$instdir\\uninstall.exe\"" ]'
check "Settings > Apps shows version $version" '[ "$(reg_value "$uninst_key" DisplayVersion)" = "REG_SZ $version" ]'
check "nothing is written under HKLM" \
	'! win reg query "HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\Audience UploaderAudience Uploader" >/dev/null 2>&1'
check "without /ADDTOPATH the user's PATH is unchanged" '[ "$(user_path)" = "REG_EXPAND_SZ %USERPROFILE%\bin;C:\Tools" ]'
uninstall
check_removed "uninstall"
check "uninstall leaves the user's PATH unchanged" '[ "$(user_path)" = "REG_EXPAND_SZ %USERPROFILE%\bin;C:\Tools" ]'

# 2. Opted in: appended as REG_EXPAND_SZ, %VARIABLES% of other entries kept
# unexpanded; the user adds an entry after ours; uninstall takes out only ours.
set_user_path '%USERPROFILE%\bin;C:\Tools;'
install /ADDTOPATH
check "/ADDTOPATH appends the install folder (REG_EXPAND_SZ, other entries as they were)" \
	'[ "$(user_path)" = "REG_EXPAND_SZ %USERPROFILE%\bin;C:\Tools;$instdir" ]'
check "the added entry is recorded for the uninstaller" '[ "$(reg_value "$uninst_key" PathEntry)" = "REG_SZ $instdir" ]'
set_user_path "%USERPROFILE%\\bin;C:\\Tools;$instdir;C:\\Later"
uninstall
check_removed "uninstall after /ADDTOPATH"
check "uninstall removes exactly the added entry, keeping one added later" \
	'[ "$(user_path)" = "REG_EXPAND_SZ %USERPROFILE%\bin;C:\Tools;C:\Later" ]'

# 3. No user PATH at all: created with our entry, deleted again on uninstall.
set_user_path ''
install /ADDTOPATH
check "with no user PATH, /ADDTOPATH creates it with the install folder only" '[ "$(user_path)" = "REG_EXPAND_SZ $instdir" ]'
uninstall
check "uninstall deletes a PATH that held only the added entry" '[ -z "$(user_path)" ]'

# 4. Already on PATH (the user put it there): not added twice, not removed.
set_user_path "C:\\Tools;$instdir"
install /ADDTOPATH
check "an entry already on PATH is not added again" '[ "$(user_path)" = "REG_EXPAND_SZ C:\Tools;$instdir" ]'
check "nothing is recorded when the entry was already there" '[ -z "$(reg_value "$uninst_key" PathEntry)" ]'
uninstall
check "uninstall keeps an entry the installer did not add" '[ "$(user_path)" = "REG_EXPAND_SZ C:\Tools;$instdir" ]'

# 5. A PATH longer than NSIS strings hold (1023 characters) is never rewritten.
long="C:\\$(printf 'x%.0s' $(seq 1 1100))"
set_user_path "$long"
install /ADDTOPATH
check "the app installs even when PATH is too long to change" '[ -f "$unix_instdir/audience-uploader.exe" ]'
check "a PATH too long to change safely is left exactly as it was" '[ "$(user_path)" = "REG_EXPAND_SZ $long" ]'
uninstall
check "uninstall leaves the long PATH as it was" '[ "$(user_path)" = "REG_EXPAND_SZ $long" ]'

echo "$passed passed, $failed failed (Windows installer under Wine)"
[ "$failed" = 0 ]
