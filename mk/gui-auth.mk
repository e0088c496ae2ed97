# Sign-in and S3 in the desktop app (app_auth.go, backend/cloud,
# frontend/src/components/auth) and `make demo`. Included by the Makefile.
# - test-gui-auth: e2e/signin.mjs signs in through the UI against the Cognito
#   stand-in (new password + authenticator setup), picks a file in the S3 tab
#   from versitygw and reaches the Confirm preview, under Xvfb with wails dev.
# - demo: versitygw with sample lists, the Cognito stand-in with a demo user,
#   the TikTok stand-in, and the app configured against them (mk/demo.sh).

TEST_TARGETS += test-gui-auth

.PHONY: test-gui-auth gui-auth-bindings demo

# The bindings are regenerated when a bound file is newer than them
# (app-bindings in mk/app.mk only looks at app.go).
gui-auth-bindings: app-bindings
	@if [ app_auth.go -nt frontend/wailsjs/go/main/App.js ]; then $(WAILS_QUIET) generate module -tags webkit2_41 >/dev/null; fi

test-gui-auth: setup-app setup-auth gui-auth-bindings cognito-standin
	WAILS=$(WAILS) E2E_ARTIFACTS=$(E2E_ARTIFACTS) VERSITYGW=$(abspath $(VERSITYGW)) node e2e/signin.mjs

demo: build $(VERSITYGW)
	mk/demo.sh build/bin/audience-uploader
