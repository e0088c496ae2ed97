#!/usr/bin/env bash
# Prints one of the build's stamps (mk/app.mk passes them to -ldflags):
#   version  X.Y.Z at a vX.Y.Z tag; after it X.Y.(Z+1)-dev.N+COMMIT (N commits
#            later); with no tag 0.0.0-dev+COMMIT; ".dirty" added to the build
#            metadata when the work tree has uncommitted changes
#   commit   the commit, 12 hex digits ("unknown" outside git)
#   date     SOURCE_DATE_EPOCH if set, else the commit's time, as UTC RFC 3339
#            (never the wall clock: two builds of one commit are identical)
#   epoch    the same instant in seconds, for SOURCE_DATE_EPOCH
set -euo pipefail
cd "$(dirname "$0")/.."
commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
case "${1:-}" in
commit) echo "$commit" ;;
epoch) echo "$epoch" ;;
date) date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ ;;
version)
	dirty=""
	if [ "$commit" != unknown ] && [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then dirty=.dirty; fi
	tag=$(git describe --tags --abbrev=0 --match 'v[0-9]*.[0-9]*.[0-9]*' 2>/dev/null || true)
	if [ -z "$tag" ]; then
		echo "0.0.0-dev+$commit$dirty"
		exit
	fi
	v=${tag#v}
	n=$(git rev-list --count "$tag..HEAD")
	if [ "$n" = 0 ] && [ -z "$dirty" ]; then
		echo "$v"
	elif [ "$n" = 0 ]; then
		echo "$v+$commit$dirty"
	else
		IFS=. read -r major minor patch <<<"${v%%[-+]*}"
		echo "$major.$minor.$((patch + 1))-dev.$n+$commit$dirty"
	fi
	;;
*)
	echo "usage: $0 version|commit|date|epoch" >&2
	exit 2
	;;
esac
