# Accessibility in the desktop app (issue 11), run by `make test-e2e`: every
# e2e script audits its screens with axe-core (e2e/lib.mjs audit(), counts in
# $(E2E_ARTIFACTS)/axe-summary.json), and e2e/keyboard.mjs walks one whole
# offline run by keyboard alone, checking the focus indicator on the way.
# Included by the Makefile.

.PHONY: test-e2e-keyboard

test-e2e: test-e2e-keyboard

test-e2e-keyboard: setup-app
	WAILS=$(WAILS) E2E_ARTIFACTS=$(E2E_ARTIFACTS) node e2e/keyboard.mjs
