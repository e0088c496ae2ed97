#!/usr/bin/env bash
# Screenshots of the installed app (make screenshots-installed): installs the
# .deb from DIST, starts /usr/bin/audience-uploader under Xvfb as a person
# would, drives it with xdotool (type a file's path, Alt+Right through the
# steps, open Settings) and saves each screen as OUT/installed-*.png. The
# package is purged again on exit. Not part of make test: it rewrites the
# committed pictures in docs/screenshots.
set -euo pipefail
self=$(readlink -f "$0")
name=audience-uploader

# Runs inside the X server started by xvfb-run: $1 is the output folder.
inner() {
	local out=$1 app wid
	/usr/bin/$name >"$work/app.log" 2>&1 &
	app=$!
	wid=""
	for _ in $(seq 1 60); do
		wid=$(xdotool search --name '^Audience Uploader$' 2>/dev/null | head -n1 || true)
		if [ -n "$wid" ] && grep -q 'startup: first frontend call' "$work/app.log"; then break; fi
		kill -0 "$app" 2>/dev/null || { echo "the installed app exited:" >&2; cat "$work/app.log" >&2; exit 1; }
		sleep 0.5
	done
	[ -n "$wid" ] || { echo "no window 'Audience Uploader' appeared" >&2; exit 1; }
	shot() { sleep "${2:-1.5}"; import -window "$wid" "$out/installed-$1.png"; echo "  $out/installed-$1.png"; }
	shot 1-select-file
	# The path field under the drop zone (the 1200x820 window's fixed layout,
	# as in e2e/smoke.sh): type the sample's path and open it with Enter.
	xdotool mousemove --window "$wid" 520 448 click 1
	xdotool type --delay 5 "$work/customers.csv"
	xdotool key Return
	shot 2-file-opened 3
	# Alt+Right is the footer's "next step" key.
	xdotool key alt+Right
	shot 3-define-dataset 2
	xdotool key alt+Right
	shot 4-define-columns 2
	xdotool key alt+Right
	shot 5-confirm 3
	# Settings in the side menu.
	xdotool mousemove --window "$wid" 90 293 click 1
	shot 6-settings 2
	kill "$app" 2>/dev/null || true
	for _ in $(seq 1 10); do kill -0 "$app" 2>/dev/null || break; sleep 0.5; done
	kill -9 "$app" 2>/dev/null || true
	wait "$app" 2>/dev/null || true
}
if [ "${1:-}" = --inner ]; then
	work=$2
	export AUDIENCE_UPLOADER_CONFIG_DIR="$work/config" AUDIENCE_UPLOADER_DATA_DIR="$work/data"
	export WEBKIT_DISABLE_COMPOSITING_MODE=1 WEBKIT_DISABLE_DMABUF_RENDERER=1
	inner "$3"
	exit 0
fi

dist=${1:-build/dist}
out=$(readlink -m "${2:-docs/screenshots}")
installed() { dpkg-query -W -f='${Status}' "$name" 2>/dev/null | grep -q "ok installed"; }
if [ "$(id -u)" != 0 ]; then
	echo "screenshots-installed installs the .deb: run it as root" >&2
	exit 1
fi
if installed; then
	echo "$name is already installed on this machine; this script installs and purges it, so remove yours first: dpkg --purge $name" >&2
	exit 1
fi
shopt -s nullglob
debs=("$dist"/*.deb)
[ "${#debs[@]}" = 1 ] || { echo "expected one .deb in $dist, found ${#debs[@]}: run make package" >&2; exit 1; }
work=$(mktemp -d)
cleanup() {
	if installed; then dpkg --purge "$name" >/dev/null 2>&1 || true; fi
	rm -rf "$work"
}
trap cleanup EXIT
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$(readlink -f "${debs[0]}")" >"$work/apt.log" 2>&1 ||
	{ cat "$work/apt.log"; exit 1; }
echo "installed $(basename "${debs[0]}"); screenshots of /usr/bin/$name:"

# A made-up customer list (example.com addresses, 555 numbers), enough rows
# for the confirm step's audience-size check.
{
	echo "customer_id,email,phone,country"
	for i in $(seq 1 1200); do
		printf 'C-%04d,customer%d@example.com,+1 613 555 %04d,CA\n' "$i" "$i" "$i"
	done
} >"$work/customers.csv"
mkdir -p "$out"
# No D-Bus session, as in e2e/smoke.sh: the app never reaches this machine's keychain.
DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent xvfb-run -a -s "-screen 0 1400x950x24" bash "$self" --inner "$work" "$out"
