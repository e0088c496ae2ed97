package tiktok

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/audience-uploader/audience-uploader/backend/secrets"
)

// EnvAccessToken overrides the keychain, for automation.
const EnvAccessToken = "TIKTOK_ACCESS_TOKEN"

// TokenKey is the keychain entry holding an advertiser's access token.
func TokenKey(advertiserID string) string { return "tiktok-access-token:" + advertiserID }

// LoadToken returns the access token for an advertiser: TIKTOK_ACCESS_TOKEN
// if set, else the keychain entry. Errors say how to provide one.
func LoadToken(store secrets.Store, advertiserID string) (string, error) {
	if v := strings.TrimSpace(os.Getenv(EnvAccessToken)); v != "" {
		return v, nil
	}
	if advertiserID == "" {
		return "", errors.New("no TikTok advertiser id: pass --advertiser-id or set it in Settings → TikTok")
	}
	v, err := store.Get(TokenKey(advertiserID))
	switch {
	case err == nil && v != "":
		return v, nil
	case err == nil || errors.Is(err, secrets.ErrNotFound):
		return "", fmt.Errorf("no TikTok access token saved for advertiser %s: save one with `audience-uploader tiktok set-token --advertiser-id %s` (token on stdin) or set %s", advertiserID, advertiserID, EnvAccessToken)
	case errors.Is(err, secrets.ErrUnavailable):
		return "", fmt.Errorf("no OS keychain is available to read the TikTok token (%v): set %s instead; the token is never written to a file", err, EnvAccessToken)
	default:
		return "", fmt.Errorf("read TikTok token for advertiser %s: %w", advertiserID, err)
	}
}

// SaveToken stores an advertiser's token in the keychain.
func SaveToken(store secrets.Store, advertiserID, token string) error {
	token = strings.TrimSpace(token)
	if advertiserID == "" {
		return errors.New("save TikTok token: advertiser id is required")
	}
	if token == "" {
		return errors.New("save TikTok token: the token is empty")
	}
	if err := store.Set(TokenKey(advertiserID), token); err != nil {
		if errors.Is(err, secrets.ErrUnavailable) {
			return fmt.Errorf("save TikTok token: %w; without a keychain set %s in the environment instead (it is never written to a file)", err, EnvAccessToken)
		}
		return fmt.Errorf("save TikTok token for advertiser %s: %w", advertiserID, err)
	}
	return nil
}
