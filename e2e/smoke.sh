#!/usr/bin/env bash
# Smoke test: the production binary starts under Xvfb, opens its window and
# renders (the screenshot is not blank). Reports the start-up time: process
# start to the frontend's first call into Go, as logged by the app.
set -euo pipefail
self=$(readlink -f "$0")
if [ "${1:-}" = --inner ]; then
	mode=inner
	shift
fi
bin=$(readlink -f "${1:-build/bin/audience-uploader}")
artifacts=$(readlink -m "${E2E_ARTIFACTS:-build/bin/e2e-artifacts}")
mkdir -p "$artifacts"
work=${AUD_SMOKE_WORK:-$(mktemp -d)}
[ -n "${AUD_SMOKE_WORK:-}" ] || trap 'rm -rf "$work"' EXIT
export AUDIENCE_UPLOADER_CONFIG_DIR="$work/config" AUDIENCE_UPLOADER_DATA_DIR="$work/data"
export WEBKIT_DISABLE_COMPOSITING_MODE=1 WEBKIT_DISABLE_DMABUF_RENDERER=1

# Runs inside the X server started by xvfb-run.
inner() {
	"$bin" >"$work/app.log" 2>&1 &
	app=$!
	ok=0 wid="" ms=""
	for _ in $(seq 1 60); do
		wid=$(xdotool search --name '^Audience Uploader$' 2>/dev/null | head -n1 || true)
		ms=$(sed -n 's/.*startup: first frontend call \([0-9]*\) ms.*/\1/p' "$work/app.log" | head -n1)
		if [ -n "$wid" ] && [ -n "$ms" ]; then ok=1; break; fi
		if ! kill -0 "$app" 2>/dev/null; then break; fi
		sleep 0.5
	done
	sleep 1.5 # let the first frame paint
	import -window root "$artifacts/smoke.png" || true
	[ -z "$wid" ] || import -window "$wid" "$artifacts/smoke-window.png" || true
	# The native open dialog: click Browse… (fixed layout of the 1200x820
	# window); GTK's file chooser must appear with our title; Escape closes it.
	dialog=0
	if [ -n "$wid" ]; then
		xdotool mousemove --window "$wid" 484 362 click 1
		for _ in $(seq 1 20); do
			if xdotool search --name '^Choose a customer file$' >/dev/null 2>&1; then dialog=1; break; fi
			sleep 0.5
		done
		import -window root "$artifacts/smoke-dialog.png" || true
		xdotool key Escape
		sleep 0.5
	fi
	kill "$app" 2>/dev/null || true
	for _ in $(seq 1 10); do kill -0 "$app" 2>/dev/null || break; sleep 0.5; done
	kill -9 "$app" 2>/dev/null || true
	wait "$app" 2>/dev/null || true
	echo "window=${wid:-none} startup_ms=${ms:-none} dialog=$dialog ok=$ok"
}
if [ "${mode:-}" = inner ]; then
	inner
	exit 0
fi
trap - EXIT # the inner run uses $work; clean it here, after
# No D-Bus session: the app never reaches the developer's keychain, and no bus
# or keyring daemon is started (and left running) for it.
out=$(DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent AUD_SMOKE_WORK="$work" xvfb-run -a -s "-screen 0 1400x950x24" bash "$self" --inner "$bin")
echo "$out"
cp "$work/app.log" "$artifacts/smoke-app.log"
rm -rf "$work"

passed=0 failed=0
check() { if [ "$2" = 1 ]; then echo "ok   $1"; passed=$((passed + 1)); else echo "FAIL $1"; failed=$((failed + 1)); fi; }
wid=$(sed -n 's/.*window=\([^ ]*\).*/\1/p' <<<"$out")
ms=$(sed -n 's/.*startup_ms=\([^ ]*\).*/\1/p' <<<"$out")
check "the window 'Audience Uploader' is present" "$([ "$wid" != none ] && echo 1 || echo 0)"
check "the frontend called into Go (startup ${ms} ms)" "$([ "$ms" != none ] && echo 1 || echo 0)"
# A blank (single-colour) screen has no spread; the wizard has text, icons and colour.
if [ -f "$artifacts/smoke.png" ]; then
	colors=$(convert "$artifacts/smoke.png" -format '%k' info:)
	sd=$(convert "$artifacts/smoke.png" -colorspace Gray -format '%[fx:standard_deviation]' info:)
	check "the screenshot is not blank (${colors} colours, sd ${sd})" "$(awk -v c="$colors" -v s="$sd" 'BEGIN{print (c>200 && s>0.05)?1:0}')"
else
	check "a screenshot was taken" 0
fi
check "Browse… opens the native file dialog" "$(grep -q 'dialog=1' <<<"$out" && echo 1 || echo 0)"
printf '{"startup_ms": %s, "window": "%s"}\n' "${ms/none/null}" "$wid" >"$artifacts/smoke.json"
echo "smoke: $passed passed, $failed failed"
[ "$failed" = 0 ]
