#!/usr/bin/env bash
# macOS as far as a Linux machine can check it (issue 19): go vet and go build
# with GOOS=darwin (arm64 and amd64) and cgo off, of every package but the
# desktop app's main package, whose Wails window needs cgo and Apple's SDK.
# Nothing here runs on a Mac: the README lists what stays unverified.
set -euo pipefail
GO=${GO:-go}
module=$($GO list -m)
mapfile -t pkgs < <($GO list ./... | grep -vx "$module")
# go build refuses a package of tests only (build/aws): those are vetted.
mapfile -t built < <($GO list -f '{{if .GoFiles}}{{.ImportPath}}{{end}}' ./... | grep -vx "$module")
for arch in arm64 amd64; do
	GOOS=darwin GOARCH=$arch CGO_ENABLED=0 $GO vet "${pkgs[@]}"
	GOOS=darwin GOARCH=$arch CGO_ENABLED=0 $GO build "${built[@]}"
	echo "ok   GOOS=darwin GOARCH=$arch: go vet of ${#pkgs[@]} packages and go build of the ${#built[@]} with non-test files (cgo off; the Wails main package left out)"
done
