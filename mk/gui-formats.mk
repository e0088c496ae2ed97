# The wizard on issue 10's inputs (e2e/formats.mjs): a folder of gzip CSV
# parts, an Excel workbook's second sheet picked in Step 1, and the "no header
# row found" switch, through to the output hashes. Run by `make test-e2e`.

.PHONY: test-e2e-formats

test-e2e: test-e2e-formats

test-e2e-formats: setup-app
	WAILS=$(WAILS) E2E_ARTIFACTS=$(E2E_ARTIFACTS) node e2e/formats.mjs
