# Meta in the desktop app (issue 21): e2e/meta.mjs drives Settings > Meta,
# the Audiences view, Step 2's destinations and the uploads to TikTok and
# Meta against both stand-ins, with the axe audit of each new screen. Run
# by `make test-e2e`; `make screenshots` refreshes its docs pictures
# (21-*.png). Runs `wails dev` on port 34115: wrap in `flock /tmp/wails-dev.lock`.
# Included by the Makefile.

.PHONY: test-e2e-meta

test-e2e: test-e2e-meta

test-e2e-meta: setup-app
	WAILS=$(WAILS) GO=$(GO) E2E_ARTIFACTS=$(E2E_ARTIFACTS) node e2e/meta.mjs

