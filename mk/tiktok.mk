# TikTok upload: the OS keychain test against a real Secret Service
# (gnome-keyring in a private D-Bus session), the stand-in server, and the
# upload benchmarks. Included by the Makefile.

TIKTOK_APT := gnome-keyring dbus-x11 libsecret-tools

SETUP_TARGETS += setup-tiktok
TEST_TARGETS += test-tiktok-keychain

.PHONY: setup-tiktok test-tiktok-keychain tiktok-standin bench-tiktok

# apt packages, only those missing (tools/apt-ensure.sh).
setup-tiktok:
	@tools/apt-ensure.sh $(TIKTOK_APT)

# The secrets package against a real Secret Service (tools/with-keyring.sh).
test-tiktok-keychain: setup-tiktok
	@AUDIENCE_UPLOADER_KEYCHAIN_TEST=1 tools/with-keyring.sh $(GO) test -count=1 -run "TestRealKeychain" ./backend/secrets/ 2>&1 \
	  | grep -v "Failed to set fd limit"; exit $${PIPESTATUS[0]}

# The stand-in on a loopback port (prints its base URL first):
#   make tiktok-standin ARGS="--port 8787 --qps 5 --fault-system 0.1"
# Its token comes from $TIKTOK_STANDIN_TOKEN or --token-file (never argv;
# default "standin-token"); it listens on loopback only.
tiktok-standin:
	$(GO) run ./cmd/tiktok-standin $(ARGS)

# Request rate against a QPS-5 stand-in, loopback upload throughput, and
# memory per upload at two file sizes.
bench-tiktok:
	$(GO) test -run '^$$' -bench . -benchtime 1x -count 1 ./backend/tiktok/
