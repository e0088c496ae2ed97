# Step 1's AWS Clean Rooms tab in the desktop app (app_cleanrooms.go,
# frontend/src/components/auth/CleanRoomsBrowser.vue). Included by the Makefile.
# - test-gui-cleanrooms: e2e/cleanrooms.mjs under Xvfb with wails dev, against
#   the Clean Rooms stand-in and versitygw with the AWS chain's credentials:
#   collaborations, queries, a finished query's Parquet parts through the run
#   to the output hashes, the running/failed/empty/denied/no-receiver
#   sentences, the history's collaboration and query; its screenshots go to
#   build/ (make screenshots refreshes docs/screenshots/13-cleanrooms.png).
#   Runs `wails dev` on port 34115: wrap in `flock /tmp/wails-dev.lock` when
#   other e2e runs may be going.

TEST_TARGETS += test-gui-cleanrooms

.PHONY: test-gui-cleanrooms cleanrooms-standin

cleanrooms-standin:
	$(GO) build -o build/bin/cleanrooms-standin ./cmd/cleanrooms-standin

test-gui-cleanrooms: setup-app setup-auth cleanrooms-standin
	WAILS=$(WAILS) E2E_ARTIFACTS=$(E2E_ARTIFACTS) VERSITYGW=$(abspath $(VERSITYGW)) \
		CLEANROOMS_STANDIN=$(abspath build/bin/cleanrooms-standin) node e2e/cleanrooms.mjs
