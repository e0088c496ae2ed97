# Windows installer (issue 11): `make package-windows` puts the per-user NSIS
# installer (build/windows/installer/project.nsi) of the cross-built exe into
# build/dist/ beside the Linux packages and rewrites SHA256SUMS over all of
# them (build/windows/installer.sh). test-installer checks it and runs the
# installer and uninstaller under Wine (build/windows/test-installer.sh), then
# that a second build of the installer gives the same bytes.
# Included by the Makefile, after mk/app.mk (build-windows) and mk/package.mk
# (package, DIST).

# nsis builds the installer (Debian's has the 64-bit stubs); wine64 runs it.
WINDOWS_APT := nsis wine wine64 file
WINDOWS_EXE := build/bin/audience-uploader.exe

SETUP_TARGETS += setup-windows
TEST_TARGETS += test-installer

.PHONY: setup-windows package-windows test-installer

# apt packages, only those missing (tools/apt-ensure.sh).
setup-windows:
	@tools/apt-ensure.sh $(WINDOWS_APT)

# After `package`, whose script rewrites SHA256SUMS for the Linux files only.
package-windows: setup-windows build-windows package
	APP_VERSION='$(APP_VERSION)' build/windows/installer.sh $(WINDOWS_EXE) $(DIST)

INSTALLER_AGAIN := build/bin/installer-again
test-installer: package-windows
	build/windows/test-installer.sh $(DIST) $(WINDOWS_EXE)
	@# Building the installer again from the same exe gives the same bytes.
	@APP_VERSION='$(APP_VERSION)' build/windows/installer.sh $(WINDOWS_EXE) $(INSTALLER_AGAIN) >/dev/null
	@installer='audience-uploader-$(APP_VERSION)-windows-amd64-setup.exe'; \
	if cmp -s "$(DIST)/$$installer" "$(INSTALLER_AGAIN)/$$installer"; then echo "ok   a second installer build from the same exe is byte-identical"; rm -rf $(INSTALLER_AGAIN); \
	else echo "FAIL a second installer build from the same exe differs"; exit 1; fi
