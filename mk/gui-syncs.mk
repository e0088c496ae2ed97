# The GUI's Audiences and Syncs views (issue 12), run by `make test-e2e`:
# e2e/audiences.mjs lists, renames, makes a lookalike of and deletes
# audiences at the TikTok stand-in; e2e/syncs.mjs saves a sync from the
# upload result screen, changes the list and applies "Run now" (+/−), then
# does the same for a Clean Rooms result that always reads the newest
# result of its analysis.
# Included by the Makefile.

.PHONY: test-e2e-audiences test-e2e-syncs syncs-bindings

test-e2e: test-e2e-audiences test-e2e-syncs

test-e2e-audiences: setup-app
	WAILS=$(WAILS) GO=$(GO) E2E_ARTIFACTS=$(E2E_ARTIFACTS) node e2e/audiences.mjs

# The Clean Rooms sync's part runs versitygw and the AWS Clean Rooms stand-in.
test-e2e-syncs: setup-app setup-auth cleanrooms-standin
	WAILS=$(WAILS) GO=$(GO) E2E_ARTIFACTS=$(E2E_ARTIFACTS) VERSITYGW=$(abspath $(VERSITYGW)) \
		CLEANROOMS_STANDIN=$(abspath build/bin/cleanrooms-standin) node e2e/syncs.mjs

# Bindings made before app_audiences.go or app_syncs.go changed lack their
# methods: make them again (app-bindings only looks at app.go).
syncs-bindings: app-bindings
	@if [ app_audiences.go -nt frontend/wailsjs/go/main/App.js ] || [ app_syncs.go -nt frontend/wailsjs/go/main/App.js ]; then \
		$(WAILS_QUIET) generate module -tags webkit2_41 >/dev/null; fi

test-vitest test-e2e-audiences test-e2e-syncs: syncs-bindings
