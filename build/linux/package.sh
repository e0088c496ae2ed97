#!/usr/bin/env bash
# Builds the Linux packages of a built binary into OUTDIR: a .deb and an .rpm
# (nFPM, build/linux/nfpm.yaml) and a .tar.gz of the same tree under a
# prefix, then OUTDIR/SHA256SUMS. Run by `make package`, which passes:
#   NFPM       the nFPM binary (built from the pinned module version)
#   GENDOCS    cmd/gendocs built with the same stamps (man pages, completions)
#   APP_VERSION, SOURCE_DATE_EPOCH, PKG_MAINTAINER
# Every timestamp is SOURCE_DATE_EPOCH and nothing else varies, so two runs
# from one commit give byte-identical files.
set -euo pipefail
bin=$1 out=$2
: "${NFPM:?}" "${GENDOCS:?}" "${APP_VERSION:?}" "${SOURCE_DATE_EPOCH:?}" "${PKG_MAINTAINER:?}"
root=$(cd "$(dirname "$0")/../.." && pwd)
name=audience-uploader
arch=$(go env GOARCH)
export LC_ALL=C TZ=UTC

stage=$(readlink -m "$out")/stage
rm -rf "$stage"
mkdir -p "$out"
rm -f "$out"/*.deb "$out"/*.rpm "$out"/*.tar.gz "$out/SHA256SUMS"
usr=$stage/usr
install -D -m 0755 "$bin" "$usr/bin/$name"
install -D -m 0644 "$root/build/linux/$name.desktop" "$usr/share/applications/$name.desktop"

metainfo=io.github.audience_uploader.AudienceUploader.metainfo.xml
mkdir -p "$usr/share/metainfo"
sed -e "s/@VERSION@/$APP_VERSION/" -e "s/@DATE@/$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%d)/" \
	"$root/build/linux/$metainfo.in" >"$usr/share/metainfo/$metainfo"

# Icons: PNG sizes from the 1024 px source, without the time chunks that
# ImageMagick would otherwise write; the SVG source as the scalable one.
for size in 48 128 256; do
	dir=$usr/share/icons/hicolor/${size}x$size/apps
	mkdir -p "$dir"
	convert "$root/build/appicon.png" -resize "${size}x$size" -strip -define png:exclude-chunks=date,time "$dir/$name.png"
done
install -D -m 0644 "$root/build/appicon.svg" "$usr/share/icons/hicolor/scalable/apps/$name.svg"

docs=$(mktemp -d)
trap 'rm -rf "$docs"' EXIT
"$GENDOCS" "$docs"
mkdir -p "$usr/share/man/man1"
for page in "$docs"/man1/*.1; do
	gzip -n -9 <"$page" >"$usr/share/man/man1/$(basename "$page").gz"
done
install -D -m 0644 "$docs/completions/$name.bash" "$usr/share/bash-completion/completions/$name"
install -D -m 0644 "$docs/completions/_$name" "$usr/share/zsh/vendor-completions/_$name"
install -D -m 0644 "$docs/completions/$name.fish" "$usr/share/fish/vendor_completions.d/$name.fish"

doc=$usr/share/doc/$name
install -D -m 0644 "$root/build/linux/copyright" "$doc/copyright"
gzip -n -9 <"$root/CHANGELOG.md" >"$doc/CHANGELOG.md.gz"
# Debian's changelog.gz is in Debian's format: one entry for this version
# pointing at the project's changelog beside it. The Debian version is
# nFPM's: the semver pre-release after a tilde (0.0.0~dev+COMMIT).
debversion=${APP_VERSION/-/"~"}
printf '%s (%s) stable; urgency=medium\n\n  * The changes are listed in CHANGELOG.md.gz in this folder.\n\n -- %s  %s\n' \
	"$name" "$debversion" "$PKG_MAINTAINER" \
	"$(date -u -R -d "@$SOURCE_DATE_EPOCH")" | gzip -n -9 >"$doc/changelog.gz"
find "$stage" -type d -exec chmod 0755 {} +
find "$stage" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

# nfpm.yaml with its ${PKG_*} filled in (nFPM expands only some fields itself).
sed -e "s|\${PKG_ARCH}|$arch|" -e "s|\${PKG_VERSION}|$APP_VERSION|" -e "s|\${PKG_STAGE}|$stage|" \
	-e "s|\${PKG_MAINTAINER}|$PKG_MAINTAINER|" "$root/build/linux/nfpm.yaml" >"$docs/nfpm.yaml"
for packager in deb rpm; do
	"$NFPM" package --config "$docs/nfpm.yaml" --packager "$packager" --target "$out/" | { grep -vE "^using |created package" || true; }
done

# The tarball: bin/ and share/ under one folder, to unpack into a prefix:
#   tar -xzf audience-uploader-*.tar.gz -C /usr/local --strip-components=1
tarname=$name-$APP_VERSION-linux-$arch
tar --sort=name --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner \
	--transform "s,^usr,$tarname," -C "$stage" -cf - usr | gzip -n -9 >"$out/$tarname.tar.gz"

rm -rf "$stage"
(cd "$out" && sha256sum -- *.deb *.rpm *.tar.gz >SHA256SUMS)
ls -l "$out"
