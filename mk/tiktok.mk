# TikTok upload: the OS keychain test against a real Secret Service
# (gnome-keyring in a private D-Bus session), the stand-in server, and the
# upload benchmarks. Included by the Makefile.

TIKTOK_APT := gnome-keyring dbus-x11 libsecret-tools

SETUP_TARGETS += setup-tiktok
TEST_TARGETS += test-tiktok-keychain

.PHONY: setup-tiktok test-tiktok-keychain tiktok-standin bench-tiktok

# apt packages, only those missing (needs root, as on CI and a fresh Debian 12).
setup-tiktok:
	@missing=""; for p in $(TIKTOK_APT); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then echo "installing:$$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
		else echo "missing Debian packages:$$missing (run: sudo apt-get install$$missing)"; exit 1; fi; \
	fi

# The secrets package against gnome-keyring: a throwaway keyring (its own
# XDG_DATA_HOME) unlocked with a dummy password inside dbus-run-session.
test-tiktok-keychain: setup-tiktok
	@kr=$$(mktemp -d); trap 'rm -rf "$$kr"' EXIT; \
	XDG_DATA_HOME=$$kr dbus-run-session -- bash -c ' \
	  echo -n test | gnome-keyring-daemon --foreground --unlock --components=secrets >/dev/null & pid=$$!; \
	  trap "kill $$pid 2>/dev/null" EXIT; \
	  for i in $$(seq 50); do dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
	    org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q true && break; sleep 0.1; done; \
	  AUDIENCE_UPLOADER_KEYCHAIN_TEST=1 $(GO) test -count=1 -run "TestRealKeychain" ./backend/secrets/' 2>&1 \
	  | grep -v "Failed to set fd limit"; exit $${PIPESTATUS[0]}

# The stand-in on a loopback port (prints its base URL first):
#   make tiktok-standin ARGS="--port 8787 --qps 5 --fault-system 0.1"
tiktok-standin:
	$(GO) run ./cmd/tiktok-standin $(ARGS)

# Request rate against a QPS-5 stand-in, loopback upload throughput, and
# memory per upload at two file sizes.
bench-tiktok:
	$(GO) test -run '^$$' -bench . -benchtime 1x -count 1 ./backend/tiktok/
