# Release workflow (issue 11): .github/workflows/release.yml builds the Linux
# packages, the Windows exe and installer and the macOS .dmg on GitHub's
# runners when a vX.Y.Z tag is pushed. It cannot run here; test-release-workflow
# lints it with actionlint, which also runs shellcheck on every `run:` script.
# Included by the Makefile.

ACTIONLINT_VERSION := v1.7.12
ACTIONLINT := build/bin/actionlint
RELEASE_APT := shellcheck

SETUP_TARGETS += setup-release
TEST_TARGETS += test-release-workflow

.PHONY: setup-release test-release-workflow

# apt packages, only those missing (tools/apt-ensure.sh).
setup-release:
	@tools/apt-ensure.sh $(RELEASE_APT)

# actionlint from its pinned module version (checked against sum.golang.org),
# built here rather than downloaded.
$(ACTIONLINT): mk/release.mk
	GOFLAGS= GOBIN=$(abspath build/bin) $(GO) install github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION)

test-release-workflow: setup-release $(ACTIONLINT)
	$(ACTIONLINT) -shellcheck "$$(command -v shellcheck)" .github/workflows/*.yml
	@echo "ok   actionlint $(ACTIONLINT_VERSION) (with shellcheck) finds nothing in .github/workflows"
