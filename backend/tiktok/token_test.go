package tiktok_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/secrets"
	"github.com/audience-uploader/audience-uploader/backend/tiktok"
	"github.com/audience-uploader/audience-uploader/backend/tiktok/standin"
	"github.com/audience-uploader/audience-uploader/backend/tiktok/standin/standintest"
	"github.com/zalando/go-keyring"
)

type brokenStore struct{}

func (brokenStore) Get(string) (string, error) {
	return "", errors.Join(secrets.ErrUnavailable, errors.New("no Secret Service on D-Bus"))
}
func (brokenStore) Set(string, string) error {
	return errors.Join(secrets.ErrUnavailable, errors.New("no Secret Service on D-Bus"))
}
func (brokenStore) Delete(string) error { return secrets.ErrUnavailable }

func TestLoadToken(t *testing.T) {
	keyring.MockInit()
	saved := secrets.Keychain()
	prod := tiktok.ProductionBaseURL
	if err := tiktok.SaveToken(saved, prod, "42", " tok-42 \n"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		env     string
		store   secrets.Store
		adv     string
		want    string
		errPart string
	}{
		{"keychain", "", saved, "42", "tok-42", ""},
		{"env overrides", "env-tok", saved, "42", "env-tok", ""},
		{"env without keychain", "env-tok", brokenStore{}, "42", "env-tok", ""},
		{"missing entry names set-token", "", secrets.Memory(), "42", "", "tiktok set-token --advertiser-id 42"},
		{"no keychain names the variable", "", brokenStore{}, "42", "", "TIKTOK_ACCESS_TOKEN"},
		{"no advertiser", "", saved, "", "", "advertiser"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(tiktok.EnvAccessToken, tc.env)
			got, err := tiktok.LoadToken(tc.store, prod, tc.adv)
			if tc.errPart != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errPart) {
					t.Fatalf("err = %v, want it to mention %q", err, tc.errPart)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("LoadToken = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	if err := tiktok.SaveToken(brokenStore{}, prod, "42", "x"); err == nil || !strings.Contains(err.Error(), "TIKTOK_ACCESS_TOKEN") {
		t.Fatalf("SaveToken without keychain = %v", err)
	}
}

// TestProductionTokenNeverGoesToAnotherServer: with a production token saved,
// pointing the base URL at another server (here the stand-in, as a custom
// or test server would be) finds no token, so nothing is sent; a token
// saved for that server is used there and only there.
func TestProductionTokenNeverGoesToAnotherServer(t *testing.T) {
	t.Setenv(tiktok.EnvAccessToken, "")
	store := secrets.Memory()
	const prodToken = "PRODUCTION-TOKEN-abcdef"
	s := standin.New(standin.Options{})
	custom := standintest.Start(t, s)
	adv := s.Advertiser()
	if err := tiktok.SaveToken(store, tiktok.ProductionBaseURL, adv, prodToken); err != nil {
		t.Fatal(err)
	}
	for _, base := range []string{custom, tiktok.SandboxBaseURL, "https://proxy.example/open_api/"} {
		if tok, err := tiktok.LoadToken(store, base, adv); err == nil {
			t.Fatalf("LoadToken(%s) = %q: the production token would be sent there", base, tok)
		} else if !strings.Contains(err.Error(), "set-token --advertiser-id "+adv) {
			t.Fatalf("LoadToken(%s) error does not say how to save one: %v", base, err)
		}
	}
	if err := tiktok.SaveToken(store, custom, adv, s.Token()); err != nil {
		t.Fatal(err)
	}
	tok, err := tiktok.LoadToken(store, custom, adv)
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, custom, tok, nil)
	if _, err := c.ListAudiences(context.Background(), adv); err != nil {
		t.Fatalf("list with the custom server's own token: %v", err)
	}
	// Spellings of one server share a key; production is untouched.
	if tiktok.TokenKey(custom, adv) != tiktok.TokenKey(strings.TrimSuffix(custom, "/"), adv) {
		t.Errorf("a trailing slash changed the key")
	}
	if tiktok.TokenKey("https://Business-API.tiktok.com:443/open_api", adv) != tiktok.TokenKey(tiktok.ProductionBaseURL, adv) {
		t.Errorf("a spelling of the production URL got its own key")
	}
	if got, _ := tiktok.LoadToken(store, tiktok.ProductionBaseURL, adv); got != prodToken {
		t.Fatalf("production token = %q after saving a custom one", got)
	}
	if err := tiktok.DeleteToken(store, custom, adv); err != nil {
		t.Fatal(err)
	}
	if _, err := tiktok.LoadToken(store, custom, adv); err == nil {
		t.Fatal("the custom token survived DeleteToken")
	}
}

// TestLegacyTokenIsProduction: a token saved before tokens were keyed by
// environment (under "tiktok-access-token:<advertiser>") is a production
// token: production finds it and moves it to its new key; no other
// environment ever sees it.
func TestLegacyTokenIsProduction(t *testing.T) {
	t.Setenv(tiktok.EnvAccessToken, "")
	store := secrets.Memory()
	if err := store.Set("tiktok-access-token:42", "old-prod-token"); err != nil {
		t.Fatal(err)
	}
	if tok, err := tiktok.LoadToken(store, "http://127.0.0.1:9/open_api/", "42"); err == nil {
		t.Fatalf("a custom server got the legacy production token %q", tok)
	}
	if tok, err := tiktok.LoadToken(store, tiktok.SandboxBaseURL, "42"); err == nil {
		t.Fatalf("sandbox got the legacy production token %q", tok)
	}
	tok, err := tiktok.LoadToken(store, tiktok.ProductionBaseURL, "42")
	if err != nil || tok != "old-prod-token" {
		t.Fatalf("production LoadToken = %q, %v", tok, err)
	}
	if v, err := store.Get(tiktok.TokenKey(tiktok.ProductionBaseURL, "42")); err != nil || v != "old-prod-token" {
		t.Fatalf("not migrated to the production key: %q, %v", v, err)
	}
	if _, err := store.Get("tiktok-access-token:42"); !errors.Is(err, secrets.ErrNotFound) {
		t.Fatalf("legacy entry still there after migration: %v", err)
	}
	// Deleting the production token removes it wherever it is kept.
	if err := store.Set("tiktok-access-token:42", "stale"); err != nil {
		t.Fatal(err)
	}
	if err := tiktok.DeleteToken(store, tiktok.ProductionBaseURL, "42"); err != nil {
		t.Fatal(err)
	}
	if _, err := tiktok.StoredToken(store, tiktok.ProductionBaseURL, "42"); !errors.Is(err, secrets.ErrNotFound) {
		t.Fatalf("production token after DeleteToken: %v", err)
	}
}
