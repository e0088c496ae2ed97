package tiktok_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/secrets"
	"github.com/audience-uploader/audience-uploader/backend/tiktok"
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
	if err := tiktok.SaveToken(saved, "42", " tok-42 \n"); err != nil {
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
			got, err := tiktok.LoadToken(tc.store, tc.adv)
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
	if err := tiktok.SaveToken(brokenStore{}, "42", "x"); err == nil || !strings.Contains(err.Error(), "TIKTOK_ACCESS_TOKEN") {
		t.Fatalf("SaveToken without keychain = %v", err)
	}
}
