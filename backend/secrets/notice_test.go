package secrets

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// The errors go-keyring returned on machines without a usable Secret Service
// (issue 11): the notice shown instead says what to install or unlock and
// carries none of the D-Bus text.
func TestUnavailableNoticeIsPlainWords(t *testing.T) {
	seen := []struct {
		err  error
		want string
	}{
		{fmt.Errorf("%w: %v", ErrUnavailable, errors.New("failed to unlock correct collection '/org/freedesktop/secrets/aliases/default'")), "Unlock GNOME Keyring or KWallet"},
		{fmt.Errorf("%w: %v", ErrUnavailable, errors.New("The name org.freedesktop.secrets was not provided by any .service files")), "Install and unlock GNOME Keyring or KWallet"},
		{fmt.Errorf("%w: %v", ErrUnavailable, errors.New("org.freedesktop.DBus.Error.ServiceUnknown")), "Install and unlock GNOME Keyring or KWallet"},
		{fmt.Errorf("%w: %v", ErrUnavailable, errors.New("exec: \"dbus-launch\": executable file not found in $PATH")), "Install and unlock GNOME Keyring or KWallet"},
	}
	for _, s := range seen {
		got := unavailableNotice("linux", s.err)
		for _, raw := range []string{"org/freedesktop", "org.freedesktop", "DBus", "dbus-launch", "collection"} {
			if strings.Contains(got, raw) {
				t.Errorf("notice for %q carries the library's words %q: %s", s.err, raw, got)
			}
		}
		if !strings.Contains(got, s.want) || !strings.Contains(got, "sign in each time the app starts") {
			t.Errorf("notice for %q = %q, want it to say %q and what happens until then", s.err, got, s.want)
		}
	}
}

func TestUnavailableNoticePerOS(t *testing.T) {
	raw := errors.New("The specified item could not be found in the keychain. (-25300)")
	for goos, want := range map[string]string{
		"darwin":  "Keychain Access",
		"windows": "Credential Manager",
		"linux":   "GNOME Keyring or KWallet",
		"freebsd": "GNOME Keyring or KWallet",
	} {
		got := unavailableNotice(goos, raw)
		if !strings.Contains(got, want) || strings.Contains(got, "-25300") {
			t.Errorf("%s notice = %q, want it to name %q and not the raw error", goos, got, want)
		}
	}
}
