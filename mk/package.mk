# Linux packages (issue 11): `make package` builds the .deb, .rpm and .tar.gz
# of the production binary into build/dist/ with SHA256SUMS
# (build/linux/package.sh, nFPM); test-package installs the .deb on this
# machine, checks it, runs it, and purges it (build/linux/test-package.sh).
# Included by the Makefile.

NFPM_VERSION := v2.45.2
NFPM := build/bin/nfpm
GENDOCS := build/bin/gendocs
DIST := build/dist
# desktop-file-utils and appstream validate what the package installs; lintian
# checks the .deb; xvfb, imagemagick and xdotool run e2e/smoke.sh on it.
PACKAGE_APT := desktop-file-utils appstream lintian xvfb imagemagick xdotool
# Whoever made the packaged commit, unless the release sets it.
PKG_MAINTAINER ?= $(shell git log -1 --format='%an <%ae>' 2>/dev/null)

SETUP_TARGETS += setup-package
TEST_TARGETS += test-package

.PHONY: setup-package package test-package gendocs screenshots-installed

# apt packages, only those missing (tools/apt-ensure.sh).
setup-package:
	@tools/apt-ensure.sh $(PACKAGE_APT)

# nFPM from its pinned module version (checked against sum.golang.org), built
# here rather than downloaded.
$(NFPM): mk/package.mk
	GOFLAGS= GOBIN=$(abspath build/bin) $(GO) install github.com/goreleaser/nfpm/v2/cmd/nfpm@$(NFPM_VERSION)

# Man pages and completions come from the CLI's own command tree.
gendocs:
	$(GO) build -trimpath -ldflags "$(APP_LDFLAGS)" -o $(GENDOCS) ./cmd/gendocs

package: build $(NFPM) gendocs
	NFPM=$(abspath $(NFPM)) GENDOCS=$(abspath $(GENDOCS)) APP_VERSION='$(APP_VERSION)' \
	SOURCE_DATE_EPOCH=$$(build/version.sh epoch) PKG_MAINTAINER='$(PKG_MAINTAINER)' \
		build/linux/package.sh build/bin/audience-uploader $(DIST)

test-package: setup-package package
	APP_VERSION='$(APP_VERSION)' E2E_ARTIFACTS=$(E2E_ARTIFACTS)/package build/linux/test-package.sh $(DIST)
	@# Packaging the same binary again from the same commit gives the same bytes.
	@NFPM=$(abspath $(NFPM)) GENDOCS=$(abspath $(GENDOCS)) APP_VERSION='$(APP_VERSION)' \
	SOURCE_DATE_EPOCH=$$(build/version.sh epoch) PKG_MAINTAINER='$(PKG_MAINTAINER)' \
		build/linux/package.sh build/bin/audience-uploader build/dist-again >/dev/null
	@if cmp -s $(DIST)/SHA256SUMS build/dist-again/SHA256SUMS; then echo "ok   a second packaging run gives byte-identical .deb, .rpm and .tar.gz"; rm -rf build/dist-again; \
	else echo "FAIL a second packaging run differs:"; diff $(DIST)/SHA256SUMS build/dist-again/SHA256SUMS; exit 1; fi

# Screenshots of the installed .deb's app under Xvfb, driven with xdotool, into
# docs/screenshots/installed-*.png (README's Install section shows one). Run
# by hand when the UI changes, not by make test, so a test run never rewrites
# committed files.
screenshots-installed: setup-package package
	build/linux/screenshots-installed.sh $(DIST) docs/screenshots

# The Windows console code builds and vets for Windows (the whole app is
# cross-built by test-windows-build in mk/app.mk); its decision logic is unit
# tested by go test on every platform.
TEST_TARGETS += test-winconsole
.PHONY: test-winconsole
test-winconsole:
	GOOS=windows GOARCH=amd64 CGO_ENABLED=0 GOFLAGS= $(GO) vet ./backend/winconsole/
