# The GUI's TikTok upload (issue 4): the wizard transforms the sample and
# uploads it to the TikTok stand-in (e2e/upload.mjs), run by `make test-e2e`
# after the offline wizard run. Included by the Makefile.

.PHONY: test-e2e-upload

test-e2e: test-e2e-upload

test-e2e-upload: setup-app
	WAILS=$(WAILS) GO=$(GO) E2E_ARTIFACTS=$(E2E_ARTIFACTS) node e2e/upload.mjs

# Bindings made before app_upload.go changed lack its methods: make them again
# (app-bindings only looks at app.go).
.PHONY: upload-bindings
upload-bindings: app-bindings
	@if [ app_upload.go -nt frontend/wailsjs/go/main/App.js ]; then $(WAILS_QUIET) generate module -tags webkit2_41 >/dev/null; fi

test-vitest test-e2e-upload: upload-bindings
