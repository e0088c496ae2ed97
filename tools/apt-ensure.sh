#!/usr/bin/env bash
# apt-ensure.sh PKG...: installs the Debian packages among PKG that are not
# installed yet (as root, as on CI and a fresh Debian 12); without root it
# names them and fails. Every setup target in mk/*.mk calls this one script.
set -euo pipefail
missing=()
for p in "$@"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ]; then
	echo "installing: ${missing[*]}"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
else
	echo "missing Debian packages: ${missing[*]} (run: sudo apt-get install ${missing[*]})" >&2
	exit 1
fi
