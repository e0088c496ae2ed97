# The Windows suite (issue 19): the shipped exe (the one build-windows makes
# and the installer packs) driven under Wine against the TikTok and Cognito
# stand-ins on loopback (build/windows/test-cli.sh), plus the macOS builds
# this machine can check (build/darwin/check.sh). Included by the Makefile,
# after mk/app.mk (build-windows, WINDOWS_EXE comes from mk/windows.mk).

# mingw builds the ProcessPrng shim Debian 12's Wine lacks; wine64 runs the exe.
WINDOWS_CLI_APT := gcc-mingw-w64-x86-64 wine wine64
WINDOWS_SUITE_BIN := build/bin/windows-suite-bin

SETUP_TARGETS += setup-windows-cli
TEST_TARGETS += test-windows test-darwin

.PHONY: setup-windows-cli test-windows test-darwin

setup-windows-cli:
	@tools/apt-ensure.sh $(WINDOWS_CLI_APT)

# The Linux binary (for comparing hashes) and the stand-ins are built beside
# the exe; backend/osfile's tests are cross-compiled to run under Wine too.
test-windows: setup-windows-cli build-windows
	@mkdir -p $(WINDOWS_SUITE_BIN)
	$(GO) build -trimpath -o $(WINDOWS_SUITE_BIN)/audience-uploader .
	$(GO) build -o $(WINDOWS_SUITE_BIN)/tiktok-standin ./cmd/tiktok-standin
	$(GO) build -o $(WINDOWS_SUITE_BIN)/cognito-standin ./cmd/cognito-standin
	GOOS=windows GOARCH=amd64 $(GO) test -c -o $(WINDOWS_SUITE_BIN)/osfile.test.exe ./backend/osfile
	build/windows/test-cli.sh build/bin/audience-uploader.exe $(WINDOWS_SUITE_BIN)/audience-uploader \
		$(WINDOWS_SUITE_BIN)/tiktok-standin $(WINDOWS_SUITE_BIN)/cognito-standin $(WINDOWS_SUITE_BIN)/osfile.test.exe

# GOOS=darwin vet and build of every package that needs no cgo (build/darwin/check.sh).
test-darwin:
	GO=$(GO) build/darwin/check.sh
