# One list kept current on TikTok and Meta from the desktop app (issue 21):
# e2e/meta-syncs.mjs uploads a list to both from the wizard, saves a sync
# per platform from the result screen, changes the list and runs both syncs
# from the Syncs view, then checks each stand-in's audience holds exactly
# the new list's people, with the axe audit of each new screen. Run by
# `make test-e2e`. Runs `wails dev` on port 34115: wrap in
# `flock /tmp/wails-dev.lock`. Included by the Makefile.

.PHONY: test-e2e-meta-syncs

test-e2e: test-e2e-meta-syncs

test-e2e-meta-syncs: setup-app syncs-bindings
	WAILS=$(WAILS) GO=$(GO) E2E_ARTIFACTS=$(E2E_ARTIFACTS) node e2e/meta-syncs.mjs
