package auth

import (
	"errors"
	"strings"
	"testing"

	"github.com/zalando/go-keyring"
)

// Without a usable Secret Service the sign-in screen's notice is a plain
// sentence saying what to install or unlock; go-keyring's D-Bus error (what
// the screen used to show) is kept for the log only.
func TestNoKeychainNoticeIsPlainWords(t *testing.T) {
	raw := errors.New("failed to unlock correct collection '/org/freedesktop/secrets/aliases/default'")
	keyring.MockInitWithError(raw)
	defer keyring.MockInit()
	s := NewService()
	st := s.State()
	if st.KeychainAvailable {
		t.Fatal("keychain reported available although go-keyring fails")
	}
	if strings.Contains(st.KeychainProblem, "org/freedesktop") || strings.Contains(st.KeychainProblem, "collection") {
		t.Errorf("the notice shows the raw library error: %q", st.KeychainProblem)
	}
	if !strings.Contains(st.KeychainProblem, "GNOME Keyring or KWallet") && !strings.Contains(st.KeychainProblem, "Keychain Access") && !strings.Contains(st.KeychainProblem, "Credential Manager") {
		t.Errorf("the notice does not say what to install or unlock: %q", st.KeychainProblem)
	}
	if err := s.KeychainError(); err == nil || !strings.Contains(err.Error(), "org/freedesktop") {
		t.Errorf("KeychainError = %v, want the library's reason for the log", err)
	}
}
