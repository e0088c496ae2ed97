#!/usr/bin/env bash
# Builds the Windows installer (build/windows/installer/project.nsi) around a
# cross-built windows/amd64 exe into OUTDIR as
# audience-uploader-VERSION-windows-amd64-setup.exe, with makensis treating
# warnings as errors, then rewrites OUTDIR/SHA256SUMS over every file there.
# Run by `make package-windows` after `wails build -platform windows/amd64
# -nsis`, which writes the wails_tools.nsh and WebView2 bootstrapper that
# project.nsi includes. Environment: APP_VERSION. The installer holds no
# file times (SetDateSave off), so the same exe gives the same bytes.
set -euo pipefail
exe=$1 out=$2
: "${APP_VERSION:?}"
root=$(cd "$(dirname "$0")/../.." && pwd)
nsis_dir=$root/build/windows/installer
export LC_ALL=C TZ=UTC

for f in wails_tools.nsh tmp/MicrosoftEdgeWebview2Setup.exe; do
	if [ ! -f "$nsis_dir/$f" ]; then
		echo "installer.sh: $nsis_dir/$f is missing: run 'make build-windows' (wails build -nsis writes it) first." >&2
		exit 1
	fi
done

# Windows' version resource takes numbers only: 1.2.3 of 1.2.3-dev.4+abc.
numeric=${APP_VERSION%%[-+]*}
name=audience-uploader-$APP_VERSION-windows-amd64-setup.exe
mkdir -p "$out"
out=$(readlink -f "$out")
rm -f "$out"/audience-uploader-*-windows-amd64-setup.exe

exe=$(readlink -f "$exe")

(cd "$nsis_dir" && makensis -V2 -WX \
	"-DARG_WAILS_AMD64_BINARY=$exe" \
	"-DINFO_PRODUCTVERSION=$numeric" "-DAPP_VERSION=$APP_VERSION" \
	"-DOUTFILE=$out/$name" project.nsi)

(cd "$out" && find . -maxdepth 1 -type f ! -name SHA256SUMS -printf '%P\n' | sort | xargs -d '\n' sha256sum -- >SHA256SUMS)
ls -l "$out/$name"
