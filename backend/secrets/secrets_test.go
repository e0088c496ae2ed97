package secrets

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/zalando/go-keyring"
)

// storeContract runs the behaviour every Store must have.
func storeContract(t *testing.T, s Store) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"missing key is ErrNotFound", func(t *testing.T) {
			if _, err := s.Get("absent"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("Get(absent) = %v, want ErrNotFound", err)
			}
		}},
		{"set then get", func(t *testing.T) {
			if err := s.Set("tiktok-token:123", "tok-abc"); err != nil {
				t.Fatal(err)
			}
			v, err := s.Get("tiktok-token:123")
			if err != nil || v != "tok-abc" {
				t.Fatalf("Get = %q, %v", v, err)
			}
		}},
		{"overwrite", func(t *testing.T) {
			if err := s.Set("k2", "one"); err != nil {
				t.Fatal(err)
			}
			if err := s.Set("k2", "two"); err != nil {
				t.Fatal(err)
			}
			if v, _ := s.Get("k2"); v != "two" {
				t.Fatalf("Get = %q, want two", v)
			}
		}},
		{"delete", func(t *testing.T) {
			if err := s.Set("k3", "v"); err != nil {
				t.Fatal(err)
			}
			if err := s.Delete("k3"); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Get("k3"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("after delete Get = %v", err)
			}
			if err := s.Delete("k3"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("second delete = %v, want ErrNotFound", err)
			}
		}},
		{"value at the cap is kept", func(t *testing.T) {
			v := strings.Repeat("x", MaxValueBytes)
			if err := s.Set("big", v); err != nil {
				t.Fatal(err)
			}
		}},
		{"value over the cap is refused without echoing it", func(t *testing.T) {
			v := strings.Repeat("s", MaxValueBytes+1)
			err := s.Set("toobig", v)
			if !errors.Is(err, ErrTooLarge) {
				t.Fatalf("Set = %v, want ErrTooLarge", err)
			}
			if strings.Contains(err.Error(), "sss") {
				t.Fatalf("error echoes the value: %v", err)
			}
		}},
		{"empty key refused", func(t *testing.T) {
			if err := s.Set("", "v"); err == nil {
				t.Fatal("Set with empty key succeeded")
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, tc.run)
	}
}

func TestMemory(t *testing.T) { storeContract(t, Memory()) }

func TestKeychainMock(t *testing.T) {
	keyring.MockInit()
	storeContract(t, Keychain())
	if err := Probe(); err != nil {
		t.Fatalf("Probe with mock keyring = %v", err)
	}
}

func TestKeychainUnavailableMapping(t *testing.T) {
	keyring.MockInitWithError(errors.New("org.freedesktop.DBus.Error.ServiceUnknown"))
	defer keyring.MockInit()
	if err := Probe(); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Probe = %v, want ErrUnavailable", err)
	}
	if _, err := Keychain().Get("x"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Get = %v, want ErrUnavailable", err)
	}
	if err := Keychain().Set("x", "y"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Set = %v, want ErrUnavailable", err)
	}
}

// TestRealKeychain runs against the OS keychain when one is reachable
// (make test-tiktok-keychain starts gnome-keyring under dbus-run-session and
// sets AUDIENCE_UPLOADER_KEYCHAIN_TEST=1 so a missing keychain fails there).
func TestRealKeychain(t *testing.T) {
	if os.Getenv("AUDIENCE_UPLOADER_KEYCHAIN_TEST") != "1" {
		t.Skip("set AUDIENCE_UPLOADER_KEYCHAIN_TEST=1 with a Secret Service running (make test-tiktok-keychain)")
	}
	if err := Probe(); err != nil {
		t.Fatalf("Probe: %v", err)
	}
	s := Keychain()
	key := "test-entry"
	_ = s.Delete(key)
	storeContract(t, s)
	for _, k := range []string{"tiktok-token:123", "k2", "big"} {
		_ = s.Delete(k)
	}
}
