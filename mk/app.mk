# Desktop app (Wails v2 + Vue 3): setup, build, run and tests.
# Included by the Makefile; adds setup-app to SETUP_TARGETS and test-app to TEST_TARGETS.

WAILS_VERSION := v2.15.0
GOBIN_DIR := $(shell $(GO) env GOPATH)/bin
WAILS := $(GOBIN_DIR)/wails
# wails with the binding generator's per-field debug lines dropped.
WAILS_QUIET := tools/wails-quiet.sh $(WAILS)
# xdg-utils: Open folder on Linux; the rest build, drive and screenshot the app.
APP_APT := libgtk-3-dev libwebkit2gtk-4.1-dev xvfb imagemagick chromium nsis xdotool x11-utils xdg-utils file
# Version, commit and date stamped into the binary (build/version.sh says how
# each is chosen; backend/buildinfo holds them). -buildid= and -trimpath with
# the commit's date make two builds of one commit identical.
APP_VERSION ?= $(shell build/version.sh version)
APP_COMMIT ?= $(shell build/version.sh commit)
APP_DATE ?= $(shell build/version.sh date)
APP_VERSION := $(APP_VERSION)
APP_COMMIT := $(APP_COMMIT)
APP_DATE := $(APP_DATE)
BUILDINFO_PKG := github.com/audience-uploader/audience-uploader/backend/buildinfo
APP_LDFLAGS = -s -w -buildid= -X $(BUILDINFO_PKG).Version=$(APP_VERSION) -X $(BUILDINFO_PKG).Commit=$(APP_COMMIT) -X $(BUILDINFO_PKG).Date=$(APP_DATE)
# -m: never let wails run `go mod tidy` on the shared go.mod; tags come from wails.json too.
WAILS_BUILD_FLAGS = -m -trimpath -ldflags "$(APP_LDFLAGS)"
E2E_ARTIFACTS ?= build/bin/e2e-artifacts

SETUP_TARGETS += setup-app
TEST_TARGETS += test-app

.PHONY: setup-app app-apt app-wails app-npm app-bindings build build-windows run frontend licenses \
	test-app test-vitest test-e2e test-smoke test-windows-build

setup-app: app-apt app-wails app-npm app-bindings

# apt packages, only those missing (tools/apt-ensure.sh).
app-apt:
	@tools/apt-ensure.sh $(APP_APT)

app-wails:
	@if ! $(WAILS) version 2>/dev/null | grep -q "$(WAILS_VERSION)"; then \
		echo "installing wails $(WAILS_VERSION)"; GOFLAGS= $(GO) install github.com/wailsapp/wails/v2/cmd/wails@$(WAILS_VERSION); fi

app-npm:
	@if [ ! -d frontend/node_modules ] || [ frontend/package-lock.json -nt frontend/node_modules/.package-lock.json ]; then \
		cd frontend && npm ci --no-audit --no-fund; fi

# The Go embed needs frontend/dist to exist before any Go build (go vet, go test);
# the bindings in frontend/wailsjs are generated from the bound app*.go files
# (and the backend types they return), never edited.
app-bindings: app-wails
	@mkdir -p frontend/dist; [ -n "$$(ls -A frontend/dist)" ] || \
		echo '<!doctype html><title>Audience Uploader</title><p>The frontend is not built: run make build.</p>' > frontend/dist/index.html
	@if [ ! -f frontend/wailsjs/go/main/App.js ] || \
		[ -n "$$(find *.go backend -name '*.go' -not -name '*_test.go' -newer frontend/wailsjs/go/main/App.js -print -quit)" ]; then \
		$(WAILS_QUIET) generate module -tags webkit2_41 >/dev/null; fi

frontend: setup-app
	cd frontend && npm run build

# Linux binary, .desktop file and icon in build/bin. Position-independent (as
# Debian builds every binary, lintian's hardening-no-pie otherwise): wails has
# no flag for it, so it goes in through GOFLAGS.
# The About dialog's Go licences: each compiled-in module's licence files
# scanned with licensecheck (cmd/genlicenses) into an embedded JSON; committed,
# and cmd/genlicenses' test fails when it no longer matches go.mod.
licenses:
	$(GO) run ./cmd/genlicenses backend/buildinfo/licenses.json

build: setup-app licenses
	GOFLAGS='$(GOFLAGS) -buildmode=pie' $(WAILS_QUIET) build $(WAILS_BUILD_FLAGS) -o audience-uploader
	cp build/linux/audience-uploader.desktop build/bin/
	cp build/linux/audience-uploader-256.png build/bin/audience-uploader.png
	@ls -l build/bin/audience-uploader build/bin/audience-uploader.desktop build/bin/audience-uploader.png

# windows/amd64 exe plus an NSIS installer, cross-built with Debian's nsis.
build-windows: setup-app
	$(WAILS_QUIET) build $(WAILS_BUILD_FLAGS) -platform windows/amd64 -nsis -o audience-uploader.exe
	@ls -l build/bin/*.exe

run: build
	./build/bin/audience-uploader

test-app: test-vitest test-e2e test-smoke test-windows-build

test-vitest: setup-app
	cd frontend && npx vue-tsc --noEmit && npx vitest run

# The whole offline wizard in Debian's chromium against `wails dev` under Xvfb.
test-e2e: setup-app
	WAILS=$(WAILS) E2E_ARTIFACTS=$(E2E_ARTIFACTS) node e2e/wizard.mjs

# The production binary starts under Xvfb and renders.
test-smoke: build
	E2E_ARTIFACTS=$(E2E_ARTIFACTS) bash e2e/smoke.sh build/bin/audience-uploader

# CI builds Windows too: the exe must be a PE32+ GUI binary and the installer must exist.
test-windows-build: build-windows
	@file build/bin/audience-uploader.exe | grep -q 'PE32+ executable (GUI) x86-64' && echo "ok   audience-uploader.exe is a windows/amd64 GUI binary" || { echo "FAIL audience-uploader.exe is not a windows/amd64 GUI binary"; exit 1; }
	@test -s "build/bin/Audience Uploader-amd64-installer.exe" && echo "ok   NSIS installer built: $$(du -h 'build/bin/Audience Uploader-amd64-installer.exe' | cut -f1)" || { echo "FAIL no NSIS installer"; exit 1; }
