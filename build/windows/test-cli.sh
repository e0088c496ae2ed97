#!/usr/bin/env bash
# The Windows suite (issue 19): the shipped audience-uploader.exe driven under
# Wine as a Windows user drives it from cmd, against the TikTok and Cognito
# stand-ins running as Linux processes on loopback.
#   build/windows/test-cli.sh EXE LINUX_BINARY TIKTOK_STANDIN COGNITO_STANDIN OSFILE_TEST_EXE
# Everything is written under build/bin/windows-suite (the Wine prefix too),
# removed at the start of the next run; each check prints ok/FAIL, the last
# line counts them, and any FAIL makes the exit status 1.
#
# Debian 12's Wine 8.0 has no bcryptprimitives.dll, whose ProcessPrng Go 1.24+
# loads at start-up; the shim in build/windows/wine/ (built here with mingw)
# goes into the prefix's system32. Wine is not Windows: what it does not
# model (NTFS ACLs, Defender holding files, the real Credential Manager UI,
# WebView2) is listed in the README, not claimed here.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
exe=$(readlink -f "$1") linux_bin=$(readlink -f "$2") tiktok_standin=$(readlink -f "$3") cognito_standin=$(readlink -f "$4") osfile_test=$(readlink -f "$5")
work=$root/build/bin/windows-suite
passed=0 failed=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
fail() {
	echo "FAIL $1"
	failed=$((failed + 1))
	# What the program said, for the failing check only.
	[ -s "$work/last.out" ] && sed 's/^/     | /' "$work/last.out" | tail -15
	return 0
}
check() { if eval "$2"; then ok "$1"; else fail "$1"; fi; }
started=$SECONDS

pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wineserver -k 2>/dev/null || true
}
trap cleanup EXIT

rm -rf "$work"
mkdir -p "$work/linux"
# A user folder name with a space, '#' and '%': Wine names the profile after $USER.
export USER='Jo Ann#1%' LOGNAME='Jo Ann#1%'
export WINEPREFIX=$work/prefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=" WINEARCH=win64
unset DISPLAY WAYLAND_DISPLAY TIKTOK_ACCESS_TOKEN TIKTOK_API_BASE_URL AUDIENCE_UPLOADER_DATA_DIR AUDIENCE_UPLOADER_CONFIG_DIR
c=$WINEPREFIX/drive_c
profile="$c/users/$USER"

echo "building the ProcessPrng shim and a Wine prefix in $WINEPREFIX"
x86_64-w64-mingw32-gcc -shared -O2 -s -o "$work/bcryptprimitives.dll" "$root/build/windows/wine/bcryptprimitives.c" -ladvapi32 || exit 1
wineboot -i >/dev/null 2>&1
wineserver -w
cp "$work/bcryptprimitives.dll" "$c/windows/system32/"

# u CMD...: the exe with its output in last.out (and on stdout); status kept.
u() { wine "$exe" "$@" >"$work/last.out" 2>&1; }
out_has() { grep -q -- "$1" "$work/last.out"; }

# --- stand-ins on loopback ---------------------------------------------------
adv=7000000000000000001
token=tt-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
# start_tiktok VAR OUTFILE ARGS...: starts a stand-in and sets VAR to its base
# URL. It runs in this shell, not in $(...), so its pid reaches pids and the
# stand-in is stopped on exit (from a subshell it outlived the suite).
start_tiktok() {
	local var=$1 out=$2
	shift 2
	TIKTOK_STANDIN_TOKEN=$token "$tiktok_standin" --advertiser "$adv" --delay 0s "$@" >"$out" 2>"$out.log" &
	pids+=($!)
	for _ in $(seq 1 100); do [ -s "$out" ] && break; sleep 0.1; done
	printf -v "$var" '%s' "$(head -1 "$out")"
}
# Every hash matches, so a sync's audience is over TikTok's 1,000 at once.
start_tiktok tiktok "$work/tiktok.url" --match-rate 1
password=Pw-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')!
STANDIN_PASSWORD=$password "$cognito_standin" -print-env -user "username=jo@example.com,password-env=STANDIN_PASSWORD,email=jo@example.com" >"$work/cognito.env" 2>"$work/cognito.log" &
pids+=($!)
for _ in $(seq 1 100); do grep -q IDENTITY= "$work/cognito.env" 2>/dev/null && break; sleep 0.1; done
set -a
# shellcheck disable=SC1091
source "$work/cognito.env"
set +a
[[ $tiktok == http* && -n ${AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER:-} ]] || { echo "a stand-in did not start (see $work/*.log)"; exit 1; }

# --- 1. starts, version, help ------------------------------------------------
u --version
check "--version prints the version (the Go runtime starts with the ProcessPrng shim)" 'out_has "^audience-uploader "'
u version --json
check "version --json prints JSON with version and commit" 'out_has "\"version\"" && out_has "\"commit\""'
# Every subcommand, from the help's own lists, two levels deep.
commands() { sed -n '/^Available Commands:/,/^$/p' "$work/last.out" | awk 'NR > 1 && $1 != "" { print $1 }'; }
u --help
helps=0 helpfail=()
for cmd in $(commands); do
	u "$cmd" --help && out_has "^Usage:" || helpfail+=("$cmd")
	helps=$((helps + 1))
	for sub in $(commands); do
		wine "$exe" "$cmd" "$sub" --help >"$work/sub.out" 2>&1 && grep -q "^Usage:" "$work/sub.out" || helpfail+=("$cmd $sub")
		helps=$((helps + 1))
	done
done
check "--help of all $helps commands and subcommands prints usage${helpfail:+ (failed: ${helpfail[*]})}" '[ ${#helpfail[@]} = 0 ] && [ $helps -gt 20 ]'

# --- 2. the file helpers' tests, on Windows' open-file rules -------------------
wine "$osfile_test" -test.v >"$work/last.out" 2>&1
check "backend/osfile's tests pass under Wine (flush, atomic replace and folder removal with files held open)" 'out_has "^PASS"'

# --- 3. the token in the Credential Manager -----------------------------------
# Settings in %APPDATA%\audience-uploader: the stand-in's address and the advertiser.
mkdir -p "$profile/AppData/Roaming/audience-uploader"
cat >"$profile/AppData/Roaming/audience-uploader/settings.json" <<JSON
{"tiktok": {"environment": "custom", "base_url": "$tiktok", "advertiser_id": "$adv"},
 "aws": {"credential_source": "cognito", "region": "us-east-1", "user_pool_id": "us-east-1_Demo", "app_client_id": "demo-client"}}
JSON
printf '%s\n' "$token" | wine "$exe" tiktok set-token --advertiser-id "$adv" >"$work/last.out" 2>&1
check "tiktok set-token saves the token (stdin) in the Credential Manager" '[ $? = 0 ]'
u audiences
check "audiences uses the saved token and the settings in %APPDATA% under 'C:\\users\\$USER'" '[ $? = 0 ]'

# --- 4. lists from Windows paths: schema, preview, transform, same hashes as Linux
data='C:\Data Files\Łódź ünï'
udata="$c/Data Files/Łódź ünï"
mkdir -p "$udata/parts"
awk 'BEGIN { print "email,phone"; for (i = 1; i <= 300; i++) printf "User%d@Example.com,+1 (613) 555-%04d\n", i, i }' >"$udata/list.csv"
awk -F, 'NR > 1 { printf "{\"email\": \"%s\", \"phone\": \"%s\"}\n", $1, $2 }' "$udata/list.csv" >"$udata/list.jsonl"
gzip -kn "$udata/list.csv" && mv "$udata/list.csv.gz" "$udata/list-gz.csv.gz"
head -151 "$udata/list.csv" >"$udata/parts/part-1.csv"
{ head -1 "$udata/list.csv"; tail -n +152 "$udata/list.csv"; } >"$udata/parts/part-2.csv"
sed 's/$/\r/' "$udata/list.csv" >"$udata/list-crlf.csv"
cp "$root/backend/records/testdata/binary/list_snappy.parquet" "$udata/list.parquet"
cp "$root/backend/records/testdata/binary/list.xlsx" "$udata/list.xlsx"
long='C:\long'
ulong="$c/long"
for i in 1 2 3 4 5; do
	seg=$(printf "folder-%d-%s" "$i" "$(printf 'x%.0s' $(seq 1 50))")
	long="$long\\$seg" ulong="$ulong/$seg"
done
mkdir -p "$ulong"
cp "$udata/list.xlsx" "$ulong/list.xlsx"
cp "$udata/list.jsonl" "$ulong/list.jsonl"

# transform_case ID NAME WINDOWS_INPUT UNIX_INPUT MAP...: schema, preview and
# transform on Windows; the Linux binary transforms the same file; the output
# files (all but the manifest, which names paths and times) must be identical.
transform_case() {
	local id=$1 name=$2 win_in=$3 unix_in=$4
	shift 4
	local column=${1%%=*} maps=()
	for m in "$@"; do maps+=(--map "$m"); done
	u schema --input "$win_in"
	check "schema of the $name" '[ $? = 0 ] && out_has "^$column "'
	u preview --input "$win_in" "${maps[@]}"
	check "preview of the $name" '[ $? = 0 ]'
	u transform --input "$win_in" --out "C:\\out\\$id" "${maps[@]}" --workers 1
	check "transform of the $name" '[ $? = 0 ] && [ -f "$c/out/$id/manifest.json" ]'
	"$linux_bin" transform --input "$unix_in" --out "$work/linux/$id" "${maps[@]}" --workers 1 >/dev/null 2>&1
	check "the $name: hashes written on Windows are byte-identical to the Linux binary's" \
		'[ -n "$(ls "$c/out/$id" | grep -v manifest.json)" ] && diff -r -x manifest.json "$c/out/$id" "$work/linux/$id" >"$work/last.out"'
}
mkdir -p "$c/out"
transform_case csv "CSV (drive letter, backslashes, space, non-ASCII)" "$data\\list.csv" "$udata/list.csv" email=email phone=phone
transform_case jsonl "JSONL (forward slashes)" "C:/Data Files/Łódź ünï/list.jsonl" "$udata/list.jsonl" email=email phone=phone
transform_case gzip "gzip CSV (Z: drive, the Unix root)" "Z:${udata//\//\\}\\list-gz.csv.gz" "$udata/list-gz.csv.gz" email=email phone=phone
transform_case parquet "Parquet" "$data\\list.parquet" "$udata/list.parquet" email=email
transform_case xlsx "xlsx (\\\\?\\ path of ${#long} characters)" "\\\\?\\$long\\list.xlsx" "$ulong/list.xlsx" email=email
transform_case parts "folder of parts (trailing backslash)" "$data\\parts\\" "$udata/parts" email=email phone=phone
transform_case crlf "CSV saved with CRLF line ends" "$data\\list-crlf.csv" "$udata/list.csv" email=email phone=phone

# A long path without \\?\ and a relative path from cmd's current folder.
u transform --input "$long\\list.jsonl" --out "$long\\out" --map email=email --workers 1
check "transform from and into a plain path of $((${#long} + 4)) characters (over MAX_PATH, no \\\\?\\)" '[ $? = 0 ] && [ -f "$ulong/out/manifest.json" ]'
(cd "$udata" && wine cmd /c "$(winepath -w "$exe" 2>/dev/null)" transform --input list.csv --out ..\\relative-out --map email=email >"$work/last.out" 2>&1)
check "transform of a relative path from cmd's current folder" '[ $? = 0 ] && [ -f "$c/Data Files/relative-out/manifest.json" ]'
u schema --input 'C:\DATA FILES\ŁÓDŹ ÜNÏ\LIST.CSV'
check "a path typed in other letter case names the same file (case-insensitive names)" '[ $? = 0 ] && out_has email'
u transform --input "$data\\missing.csv" --out 'C:\out\missing' --map email=email
check "a missing input fails with a sentence naming the Windows path" '[ $? != 0 ] && out_has "missing.csv"'

# --- 5. output reaches cmd's console and a redirected file -------------------
wexe=$(winepath -w "$exe" 2>/dev/null)
wine cmd /c "$wexe" --version >"$work/last.out" 2>&1
check "output started from 'wine cmd /c' reaches the console" 'out_has "^audience-uploader "'
wine cmd /c "$wexe version --json > C:\\version.txt 2> C:\\version.err" >/dev/null 2>&1
check "output redirected by cmd (>) goes into the file" 'grep -q "\"version\"" "$c/version.txt"'
wine cmd /c "$wexe transform --input C:\\nothing.csv --out C:\\o --map email=email 2> C:\\errors.txt" >/dev/null 2>&1
check "errors redirected by cmd (2>) go into the file" 'grep -q "nothing.csv" "$c/errors.txt"'

# --- 6. run and upload into the TikTok stand-in --------------------------------
u run --input "$data\\list.csv" --map email=email --out 'C:\out\run1' --audience "Run one" --json
check "run: transform and upload as a new audience" '[ $? = 0 ] && out_has audience_id'
u upload --manifest 'C:\out\csv\manifest.json' --audience "Upload one"
check "upload of a transform's manifest as a new audience" '[ $? = 0 ]'

# Kill mid-upload, then resume: the stand-in stops reading the first upload.
# Tokens are kept per server address: this one's comes from the environment.
start_tiktok stall "$work/tiktok-stall.url" --stall-uploads 1 --stall-after 100 --stall-for 60s
export TIKTOK_ACCESS_TOKEN=$token
TIKTOK_API_BASE_URL=$stall wine "$exe" run --input "$data\\list.csv" --map email=email --out 'C:\out\killed' --audience "Killed once" >"$work/killed.out" 2>&1 &
killed=$!
# The transform's file table is printed just before the upload starts.
for _ in $(seq 1 300); do grep -q "^FILE " "$work/killed.out" 2>/dev/null && break; sleep 0.1; done
sleep 2
kill -9 $killed 2>/dev/null
wait $killed 2>/dev/null
cp "$work/killed.out" "$work/last.out"
check "the first run was killed mid-upload (its file table printed, no file uploaded)" 'grep -q "^FILE " "$work/killed.out" && ! grep -q "^uploaded " "$work/killed.out"'
TIKTOK_API_BASE_URL=$stall u run --input "$data\\list.csv" --map email=email --out 'C:\out\killed' --audience "Killed once"
check "a run killed mid-upload resumes with the same command" '[ $? = 0 ]'
TIKTOK_API_BASE_URL=$stall u audiences
check "the resumed run made exactly one audience" '[ "$(grep -c "Killed once" "$work/last.out")" = 1 ]'

# Two transforms into one new folder at once: one publishes, the other's
# rename onto the filled folder is refused and it says so in a sentence.
wine "$exe" transform --input "$data\\list.csv" --map email=email --out 'C:\out\race' >"$work/race1.out" 2>&1 &
race=$!
wine "$exe" transform --input "$data\\list.csv" --map email=email --out 'C:\out\race' >"$work/race2.out" 2>&1
race2=$?
wait $race
race1=$?
cat "$work/race1.out" "$work/race2.out" >"$work/last.out"
check "two transforms into one folder at once: one publishes, the other says the folder was filled (or not empty)" \
	'[ $((race1 + race2)) != 0 ] && { [ $race1 = 0 ] || [ $race2 = 0 ]; } && grep -q "filled by something else\|must be new or empty\|is not empty" "$work/last.out" && [ -f "$c/out/race/manifest.json" ]'

# Two processes on one job (the transform is done; a slow link keeps the
# first uploading): the second is refused, naming the holder (LockFileEx).
start_tiktok slow "$work/tiktok-slow.url" --upload-read-rate 2000
u transform --input "$data\\list.jsonl" --map email=email --out 'C:\out\twice'
TIKTOK_API_BASE_URL=$slow wine "$exe" run --input "$data\\list.jsonl" --map email=email --out 'C:\out\twice' --audience "Twice" >"$work/twice1.out" 2>&1 &
first=$!
for _ in $(seq 1 300); do grep -q "uploading it" "$work/twice1.out" 2>/dev/null && break; sleep 0.1; done
sleep 1
TIKTOK_API_BASE_URL=$slow wine "$exe" run --input "$data\\list.jsonl" --map email=email --out 'C:\out\twice' --audience "Twice" >"$work/twice2.out" 2>&1
second=$?
wait $first
first=$?
cat "$work/twice1.out" "$work/twice2.out" >"$work/last.out"
check "two processes on one job: the first uploads, the second is refused naming the holder" \
	'[ $first = 0 ] && [ $second != 0 ] && grep -q "held by another upload: [^ ]*audience-uploader.exe (pid [0-9]*)" "$work/twice2.out"'
TIKTOK_API_BASE_URL=$slow u audiences
check "two processes on one job made one audience" '[ "$(grep -c "Twice" "$work/last.out")" = 1 ]'
unset TIKTOK_ACCESS_TOKEN

# --- 7. syncs over three generations -----------------------------------------
gen() { awk -v from="$1" -v to="$2" -v crlf="${3:-}" 'BEGIN { printf "email%s\n", crlf; for (i = from; i <= to; i++) printf "member%d@example.com%s\n", i, crlf }' >"$udata/members.csv"; }
gen 1 1200
u sync save weekly --input "$data\\members.csv" --map email=email --audience "Weekly members"
check "sync save" '[ $? = 0 ]'
u sync run weekly
check "sync run, generation 1: creates the audience (the first run failed here: rows.bin Access denied)" '[ $? = 0 ] && out_has "rows now 1200" && out_has "added 1200"'
gen 51 1300
u sync run weekly --dry-run
check "sync run --dry-run prints the plan and sends nothing" '[ $? = 0 ] && out_has "added 100, removed 50" && out_has "nothing is uploaded"'
u sync run weekly
check "sync run, generation 2: sends only the difference" '[ $? = 0 ] && out_has "rows now 1250" && out_has "added 100, removed 50"'
gen 51 1320 $'\r'
u sync run weekly
check "sync run, generation 3 (the list saved with CRLF): 20 added, none removed" '[ $? = 0 ] && out_has "rows now 1270" && out_has "added 20, removed 0"'
u sync list
check "sync list shows the sync" '[ $? = 0 ] && out_has weekly'
syncdir="$profile/AppData/Local/audience-uploader/syncs/weekly"
check "the sync's state is in %LOCALAPPDATA%, with no run folder or temporary file left" \
	'[ -d "$syncdir" ] && [ -z "$(ls -A "$syncdir" | grep -E "^(run-|\.tmp-)")" ]'
u sync save Weekly --input "$data\\members.csv" --map email=email --audience "Other"
check "sync save of a name differing only in letter case is refused (one folder on Windows)" '[ $? != 0 ] && out_has "letter case"'
u sync save con --input "$data\\members.csv" --map email=email --audience "Other"
check "sync save of a Windows device name (con) is refused" '[ $? != 0 ] && out_has "device name"'
u sync delete weekly
check "sync delete removes the sync and its folder" '[ $? = 0 ] && [ ! -e "$syncdir" ]'

# --- 8. sign-in against the Cognito stand-in ----------------------------------
printf '%s\n' "$password" | wine "$exe" login --username jo@example.com --password-stdin >"$work/last.out" 2>&1
check "login (SRP) against the Cognito stand-in" '[ $? = 0 ]'
u whoami
check "whoami uses the session remembered in the Credential Manager" '[ $? = 0 ] && out_has "jo@example.com"'
u logout
check "logout" '[ $? = 0 ]'
u whoami
check "after logout whoami says nobody is signed in (the session left the Credential Manager)" '[ $? != 0 ] && out_has "not signed in"'

# --- 9. where things are kept -------------------------------------------------
check "the TikTok token and the password are in no file under the prefix" \
	'! grep -rlaF -e "$token" -e "$password" "$WINEPREFIX" >"$work/last.out"'
check "no JWT (Cognito token) in any file under the prefix" '! grep -rlaE "eyJ[A-Za-z0-9_-]{10,}\.eyJ" "$WINEPREFIX" >"$work/last.out"'
check "the app's data (transform runs, syncs) is in %LOCALAPPDATA%\\audience-uploader under the user folder with ' ', # and %" \
	'[ -d "$profile/AppData/Local/audience-uploader/transform-runs" ] && [ -d "$profile/AppData/Local/audience-uploader/syncs" ]'
check "the upload state is in %LOCALAPPDATA%\\audience-uploader" '[ -f "$profile/AppData/Local/audience-uploader/upload-state.db" ]'
check "nothing was written to a folder named after an unexpanded %VARIABLE%" '[ -z "$(find "$c" -name "%*%" -print -quit)" ]'

# --- 10. the desktop app without WebView2 ------------------------------------
timeout 60 wine "$exe" >"$work/last.out" 2>&1
status=$?
check "started without arguments, the app reports the missing WebView2 runtime and exits 1 (no crash)" \
	'[ $status = 1 ] && out_has "WebView2 runtime not installed" && ! out_has "^panic:\|^goroutine \|exception"'

echo "$passed passed, $failed failed (the Windows program under Wine, $((SECONDS - started)) s)"
[ "$failed" = 0 ]
