#!/usr/bin/env bash
# Installs the .deb from DIST on this machine (root, as on CI), checks what it
# installed, runs the installed program (CLI and window), purges it and checks
# nothing of it is left. Lintian checks the .deb first. The package is purged
# on any exit, so a failure midway does not leave it installed.
set -euo pipefail
dist=${1:-build/dist}
name=audience-uploader
artifacts=$(readlink -m "${E2E_ARTIFACTS:-build/bin/e2e-artifacts/package}")
mkdir -p "$artifacts"
passed=0 failed=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1"; failed=$((failed + 1)); }
check() { if eval "$2"; then ok "$1"; else fail "$1"; fi; }
installed() { dpkg-query -W -f='${Status}' "$name" 2>/dev/null | grep -q "ok installed"; }

if [ "$(id -u)" != 0 ]; then
	echo "test-package installs a .deb: run it as root (as CI does)" >&2
	exit 1
fi
if installed; then
	echo "$name is already installed on this machine; this test installs and purges it, so remove yours first: dpkg --purge $name" >&2
	exit 1
fi
shopt -s nullglob
debs=("$dist"/*.deb)
if [ "${#debs[@]}" != 1 ]; then
	echo "expected one .deb in $dist, found ${#debs[@]}: run make package" >&2
	exit 1
fi
deb=$(readlink -f "${debs[0]}")
work=$(mktemp -d)
cleanup() {
	if installed; then dpkg --purge "$name" >/dev/null 2>&1 || true; fi
	rm -rf "$work"
}
trap cleanup EXIT

check "SHA256SUMS matches every artifact" '(cd "$dist" && sha256sum --quiet -c SHA256SUMS)'
check "SHA256SUMS lists the .deb, the .rpm and the .tar.gz" \
	'[ "$(grep -cE "\.(deb|rpm|tar\.gz)$" "$dist/SHA256SUMS")" = 3 ]'
tar -tzf "$dist"/*.tar.gz >"$work/tarball"
check "the tarball holds bin/$name and its man page" \
	'grep -qE "^[^/]+/bin/$name$" "$work/tarball" && grep -qE "/share/man/man1/$name.1.gz$" "$work/tarball"'

# Lintian: no errors and no warnings (the binary is PIE since mk/app.mk
# builds it with -buildmode=pie, so no hardening-no-pie either).
lintian --tag-display-limit 0 "$deb" >"$artifacts/lintian.txt" 2>&1 || true
sed 's/^/  lintian: /' "$artifacts/lintian.txt"
check "lintian reports no errors" '! grep -q "^E: " "$artifacts/lintian.txt"'
check "lintian reports no warnings" '! grep -q "^W: " "$artifacts/lintian.txt"'

echo "installing $(basename "$deb")"
if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$deb" >"$work/apt.log" 2>&1; then
	# A fresh machine may have no package lists for the dependencies yet.
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$deb" >"$work/apt.log" 2>&1 ||
		{ cat "$work/apt.log"; fail "apt-get install ./$(basename "$deb")"; exit 1; }
fi
ok "apt-get install ./$(basename "$deb")"
dpkg -L "$name" | sort >"$work/files"

check "/usr/bin/$name is installed and executable" '[ -x /usr/bin/$name ]'
check "/usr/bin/$name is a position-independent executable" 'readelf -h /usr/bin/$name | grep -q "Type:.*DYN (Position-Independent Executable"'
check "the .desktop file passes desktop-file-validate" 'desktop-file-validate /usr/share/applications/$name.desktop'
check "the AppStream metainfo passes appstreamcli validate" \
	'appstreamcli validate --no-net /usr/share/metainfo/io.github.audience_uploader.AudienceUploader.metainfo.xml >"$work/appstream.log" 2>&1 || { cat "$work/appstream.log"; false; }'
for size in 48x48 128x128 256x256; do
	check "icon $size is a ${size} PNG" '[ "$(identify -format "%wx%h" /usr/share/icons/hicolor/$size/apps/$name.png)" = "$size" ]'
done
check "the scalable icon is an SVG" 'grep -q "<svg" /usr/share/icons/hicolor/scalable/apps/$name.svg'
check "the man page $name(1) is installed" '[[ "$(zcat /usr/share/man/man1/$name.1.gz)" == *".TH \"AUDIENCE-UPLOADER\" \"1\""* ]]'
check "man pages for the subcommands (transform)" '[ -f /usr/share/man/man1/$name-transform.1.gz ]'
check "bash completion loads and completes $name" \
	'bash -c "source /usr/share/bash-completion/completions/$name && complete -p $name" >/dev/null'
check "zsh and fish completions are installed" \
	'grep -q "#compdef $name" /usr/share/zsh/vendor-completions/_$name && grep -q "complete -c $name" /usr/share/fish/vendor_completions.d/$name.fish'
check "copyright, changelog.gz and CHANGELOG.md.gz in /usr/share/doc/$name" \
	'[ -s /usr/share/doc/$name/copyright ] && [[ "$(zcat /usr/share/doc/$name/changelog.gz)" == "$name ("* ]] && [[ "$(zcat /usr/share/doc/$name/CHANGELOG.md.gz)" == "# Changelog"* ]]'
check "the package depends on GTK 3 and WebKitGTK 4.1 and recommends a Secret Service" \
	'dpkg-query -W -f="\${Depends} | \${Recommends}" $name | grep -q "libgtk-3-0.*libwebkit2gtk-4.1-0.*gnome-keyring"'

# The installed CLI.
version=$(/usr/bin/$name --version)
echo "  $version"
check "/usr/bin/$name --version names version ${APP_VERSION:-?}" '[[ "$version" == "$name ${APP_VERSION:-} (commit "* ]]'
export AUDIENCE_UPLOADER_CONFIG_DIR="$work/config" AUDIENCE_UPLOADER_DATA_DIR="$work/data"
printf 'email,phone\njanedoe@gmail.com,+1 613 444 4444\n" Jane.Doe@Example.com ",\n' >"$work/sample.csv"
check "/usr/bin/$name transform writes the hashed list" \
	'/usr/bin/$name transform --input "$work/sample.csv" --map email=email --map phone=phone --out "$work/out" >"$work/transform.log" 2>&1 || { cat "$work/transform.log"; false; }'
# SHA-256 of the normalized e-mail (spec/normalization.md); never the raw value.
hash=$(printf %s janedoe@gmail.com | sha256sum | cut -d" " -f1)
check "the output holds the e-mail's hash and not the e-mail" \
	'grep -rqs "$hash" "$work/out" && ! grep -rqs "janedoe@gmail.com" "$work/out"'

# The installed window renders: the production smoke test (e2e/smoke.sh) on
# /usr/bin; its window, first-call and screenshot checks must pass (its file
# dialog check clicks at fixed window coordinates and belongs to test-smoke).
E2E_ARTIFACTS="$artifacts" bash "$(dirname "$0")/../../e2e/smoke.sh" /usr/bin/$name >"$work/smoke.log" 2>&1 || true
sed 's/^/  /' "$work/smoke.log"
check "the installed app starts under Xvfb and its window renders" \
	'grep -q "^ok   the window" "$work/smoke.log" && grep -q "^ok   the frontend called into Go" "$work/smoke.log" && grep -q "^ok   the screenshot is not blank" "$work/smoke.log"'

# Purge, then nothing of the package is left: no file it installed, and no
# folder it created unless another package owns that folder too.
dpkg --purge "$name" >"$work/purge.log" 2>&1 || cat "$work/purge.log"
check "dpkg --purge $name removed the package" '! installed && ! dpkg-query -W "$name" >/dev/null 2>&1'
left=""
while IFS= read -r path; do
	[ -e "$path" ] || [ -L "$path" ] || continue
	if [ -d "$path" ] && [ ! -L "$path" ] && dpkg -S "$path" >/dev/null 2>&1; then continue; fi
	left="$left $path"
done <"$work/files"
check "nothing the package installed is left ($(wc -l <"$work/files") paths checked)${left:+; left:$left}" '[ -z "$left" ]'

echo "package: $passed passed, $failed failed"
[ "$failed" = 0 ]
