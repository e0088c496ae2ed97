package appsvc

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/meta"
	"github.com/audience-uploader/audience-uploader/backend/meta/standin"
	"github.com/audience-uploader/audience-uploader/backend/meta/standin/standintest"
	"github.com/audience-uploader/audience-uploader/backend/secrets"
)

// metaService is a Service with a memory keychain and the Meta stand-in's
// address in the settings (not the environment, so the settings' path is
// what is tested).
func metaService(t *testing.T, opts standin.Options) (*Service, *standin.Server, secrets.Store) {
	t.Helper()
	t.Setenv(meta.EnvToken, "")
	t.Setenv(meta.EnvBaseURL, "")
	dir := t.TempDir()
	t.Setenv("AUDIENCE_UPLOADER_CONFIG_DIR", filepath.Join(dir, "cfg"))
	sv := standin.New(opts)
	base := standintest.Start(t, sv)
	store := secrets.Memory()
	s := New(context.Background(), newRecorder(), Options{Version: "test", HistoryPath: filepath.Join(dir, "history.db"), Secrets: store})
	t.Cleanup(s.Shutdown)
	set := s.Settings()
	set.OutputDir = filepath.Join(dir, "out")
	set.Meta.BaseURL = base
	if _, err := s.SaveSettings(set); err != nil {
		t.Fatal(err)
	}
	return s, sv, store
}

func TestMetaSettingsTokenAndConnectionTest(t *testing.T) {
	s, sv, store := metaService(t, standin.Options{})
	if st := s.MetaState(); st.Ready || st.AdAccount != "" || st.TokenSaved {
		t.Fatalf("fresh state %+v", st)
	}
	if _, err := s.TestMetaConnection(); err == nil || !strings.Contains(err.Error(), "Open Settings > Meta, enter the ad account") {
		t.Fatalf("test without an account: %v", err)
	}

	// A malformed account is refused with what to do; a good one is saved.
	set := s.Settings()
	set.Meta.AdAccount = "1234"
	if _, err := s.SaveSettings(set); err == nil || !strings.Contains(err.Error(), "act_ followed by digits") {
		t.Fatalf("account without act_: %v", err)
	}
	set.Meta.AdAccount = sv.AdAccount()
	if _, err := s.SaveSettings(set); err != nil {
		t.Fatal(err)
	}
	if _, err := s.TestMetaConnection(); err == nil || !strings.Contains(err.Error(), "Paste the system-user token in Settings > Meta") {
		t.Fatalf("test without a token: %v", err)
	}

	// The token: refused empty, kept in the keychain under the account's
	// entry, reported as saved, never in the state.
	if err := s.SaveMetaToken(sv.AdAccount(), "  "); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Fatalf("empty token: %v", err)
	}
	if err := s.SaveMetaToken("", sv.Token()); err == nil || !strings.Contains(err.Error(), "Enter the ad account first") {
		t.Fatalf("token without account: %v", err)
	}
	if err := s.SaveMetaToken(sv.AdAccount(), "wrong-token"); err != nil {
		t.Fatal(err)
	}
	st := s.MetaState()
	if !st.Ready || !st.TokenSaved || st.TokenFromEnv || st.BaseURL == "" {
		t.Fatalf("state after saving %+v", st)
	}
	if _, err := s.TestMetaConnection(); err == nil || !strings.Contains(err.Error(), "Meta did not accept the token") || strings.Contains(err.Error(), "wrong-token") {
		t.Fatalf("test with a wrong token: %v", err)
	}
	if err := s.SaveMetaToken(sv.AdAccount(), sv.Token()); err != nil {
		t.Fatal(err)
	}
	if v, _ := store.Get(meta.TokenKey(sv.AdAccount())); v != sv.Token() {
		t.Fatalf("keychain entry %q", v)
	}
	sv.AddAudience(sv.AdAccount(), "made in Ads Manager")
	got, err := s.TestMetaConnection()
	if err != nil {
		t.Fatal(err)
	}
	if !got.TermsAccepted || got.TermsAdvice != "" || got.Audiences != 1 || got.AdAccount != sv.AdAccount() {
		t.Fatalf("connection test %+v", got)
	}

	if err := s.DeleteMetaToken(sv.AdAccount()); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Get(meta.TokenKey(sv.AdAccount())); !errors.Is(err, secrets.ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	if st := s.MetaState(); st.Ready || st.TokenSaved {
		t.Fatalf("state after delete %+v", st)
	}
}

// TestMetaConnectionTestSaysWhereToAcceptTheTerms: an account whose Custom
// Audience Terms nobody accepted connects, and the test says in a sentence
// where to accept them; once accepted, it says nothing more.
func TestMetaConnectionTestSaysWhereToAcceptTheTerms(t *testing.T) {
	s, sv, _ := metaService(t, standin.Options{AdAccounts: []string{"555000111"}, TermsNotAccepted: []string{"555000111"}})
	set := s.Settings()
	set.Meta.AdAccount = "act_555000111"
	if _, err := s.SaveSettings(set); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveMetaToken("act_555000111", sv.Token()); err != nil {
		t.Fatal(err)
	}
	got, err := s.TestMetaConnection()
	if err != nil {
		t.Fatal(err)
	}
	const url = "https://business.facebook.com/ads/manage/customaudiences/tos/?act=555000111"
	if got.TermsAccepted || got.TermsURL != url || !strings.Contains(got.TermsAdvice, url) || !strings.Contains(got.TermsAdvice, "accept the terms, then test again") {
		t.Fatalf("terms not accepted: %+v", got)
	}
	sv.AcceptTerms("555000111")
	if got, err = s.TestMetaConnection(); err != nil || !got.TermsAccepted || got.TermsAdvice != "" {
		t.Fatalf("after acceptance: %+v %v", got, err)
	}
}

// TestMetaTokenFromEnvironment: META_ACCESS_TOKEN counts as a token, so an
// account with none in the keychain is ready.
func TestMetaTokenFromEnvironment(t *testing.T) {
	s, sv, _ := metaService(t, standin.Options{})
	set := s.Settings()
	set.Meta.AdAccount = sv.AdAccount()
	if _, err := s.SaveSettings(set); err != nil {
		t.Fatal(err)
	}
	t.Setenv(meta.EnvToken, sv.Token())
	if st := s.MetaState(); !st.Ready || !st.TokenFromEnv || st.TokenSaved {
		t.Fatalf("state %+v", st)
	}
	if _, err := s.TestMetaConnection(); err != nil {
		t.Fatal(err)
	}
}
