# Sign-in and S3 (issue 5, backend/auth, backend/storage, backend/cli/authcmd).
# - versitygw, the S3 server the storage and CLI tests start on a loopback
#   port, built from the version pinned in tools/go.mod (kept out of the
#   application's go.mod) into build/bin/versitygw, where the tests find it.
# - gnome-keyring in a private D-Bus session (tools/with-keyring.sh): a real
#   Secret Service for the remember-me keychain test.
VERSITYGW := build/bin/versitygw
AUTH_APT_PACKAGES := gnome-keyring dbus-x11 dbus

SETUP_TARGETS += setup-auth
TEST_TARGETS += test-auth

.PHONY: setup-auth test-auth cognito-standin

$(VERSITYGW): tools/go.mod tools/go.sum
	cd tools && GOFLAGS=-buildvcs=false $(GO) build -o ../$(VERSITYGW) github.com/versity/versitygw/cmd/versitygw

setup-auth: $(VERSITYGW)
	@if ! command -v gnome-keyring-daemon >/dev/null || ! command -v dbus-launch >/dev/null || ! command -v dbus-send >/dev/null; then \
		echo "installing $(AUTH_APT_PACKAGES)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(AUTH_APT_PACKAGES); \
	fi

# The keychain test against a real Secret Service (tools/with-keyring.sh).
test-auth: setup-auth
	set -o pipefail; AUDIENCE_UPLOADER_KEYCHAIN_TEST=1 tools/with-keyring.sh $(GO) test -count=1 -run "Keychain" -v ./backend/auth/ \
		| grep -E "^(=== RUN|--- |ok|FAIL|PASS)"

cognito-standin:
	$(GO) build -o build/bin/cognito-standin ./cmd/cognito-standin

# The AWS half of `make demo`: versitygw with sample lists and the Cognito
# stand-in with a demo user, on loopback; `source build/bin/demo/aws.env` points
# the app at them (see build/aws/demo-services.sh).
.PHONY: demo-aws demo-aws-stop
demo-aws: $(VERSITYGW)
	build/aws/demo-services.sh start build/bin/demo

demo-aws-stop:
	build/aws/demo-services.sh stop build/bin/demo
