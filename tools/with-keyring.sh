#!/usr/bin/env bash
# with-keyring.sh CMD [ARGS...] runs CMD against a real Secret Service:
# gnome-keyring in a private D-Bus session, with a throw-away keyring (its own
# XDG_DATA_HOME) unlocked with a dummy password. Both daemons are stopped and
# the keyring removed afterwards, whatever CMD's outcome, so a test run leaves
# no daemons behind and never touches the user's own keyring.
set -euo pipefail

export XDG_DATA_HOME
XDG_DATA_HOME=$(mktemp -d)
keyring_pid=""
DBUS_SESSION_BUS_PID=""
stop() {
	[ -n "$keyring_pid" ] && kill "$keyring_pid" 2>/dev/null
	[ -n "$DBUS_SESSION_BUS_PID" ] && kill "$DBUS_SESSION_BUS_PID" 2>/dev/null
	rm -rf "$XDG_DATA_HOME"
}
trap stop EXIT

# dbus-launch prints DBUS_SESSION_BUS_ADDRESS and DBUS_SESSION_BUS_PID.
eval "$(dbus-launch --sh-syntax)"
export DBUS_SESSION_BUS_ADDRESS

# --foreground keeps the daemon our child (so it can be stopped); it reads
# the unlock password from stdin.
echo -n test | gnome-keyring-daemon --foreground --unlock --components=secrets >/dev/null 2>&1 &
keyring_pid=$!

# Wait (up to 5 s) until the Secret Service name is on the bus.
for _ in $(seq 50); do
	if dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
		org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q true; then
		break
	fi
	sleep 0.1
done

"$@"
