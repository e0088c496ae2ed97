# make screenshots: refreshes the README's pictures that e2e runs take
# (docs/screenshots/12-audiences*.png, 12-syncs*.png, 13-cleanrooms.png, 21-*.png). The
# e2e runs copy a picture into docs/screenshots only with E2E_DOCS=1, which
# only this target sets: make test writes under build/ alone and never
# rewrites a committed file (a test run would otherwise leave every later
# build stamped "dirty"). Runs `wails dev` on port 34115: wrap in
# `flock /tmp/wails-dev.lock` when other e2e runs may be going.
# (make screenshots-installed, mk/package.mk, refreshes installed-*.png.)

.PHONY: screenshots

screenshots:
	E2E_DOCS=1 $(MAKE) test-e2e-audiences test-e2e-syncs test-gui-cleanrooms test-e2e-meta test-e2e-meta-syncs
