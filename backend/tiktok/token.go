package tiktok

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/audience-uploader/audience-uploader/backend/secrets"
)

// EnvAccessToken overrides the keychain, for automation.
const EnvAccessToken = "TIKTOK_ACCESS_TOKEN"

// Environment names the TikTok server a base URL points at: "production",
// "sandbox", or the normalized URL of any other (custom, test) server.
// Tokens are stored per environment, so a token saved for production is
// never sent to a custom or test server.
func Environment(baseURL string) string {
	norm := normalizeBaseURL(baseURL)
	switch norm {
	case normalizeBaseURL(ProductionBaseURL):
		return "production"
	case normalizeBaseURL(SandboxBaseURL):
		return "sandbox"
	}
	return norm
}

// normalizeBaseURL lowercases scheme and host, drops a default port and
// query, and ends the path in "/", so spellings of one server compare equal.
func normalizeBaseURL(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" {
		return strings.TrimSpace(raw)
	}
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if p := u.Port(); p != "" && !(scheme == "https" && p == "443") && !(scheme == "http" && p == "80") {
		host += ":" + p
	}
	path := u.EscapedPath()
	if !strings.HasSuffix(path, "/") {
		path += "/"
	}
	return scheme + "://" + host + path
}

// TokenKey is the keychain entry holding an advertiser's access token for
// the environment baseURL points at.
func TokenKey(baseURL, advertiserID string) string {
	return "tiktok-access-token:" + Environment(baseURL) + ":" + advertiserID
}

// legacyTokenKey is where tokens were kept before they were keyed by
// environment; the uploader then talked to production unless told
// otherwise, so such an entry is read as a production token.
func legacyTokenKey(advertiserID string) string { return "tiktok-access-token:" + advertiserID }

// StoredToken reads the keychain entry for (baseURL, advertiserID), moving
// a production token saved under the old advertiser-only key to its new key
// on first read. The error wraps secrets.ErrNotFound or ErrUnavailable.
func StoredToken(store secrets.Store, baseURL, advertiserID string) (string, error) {
	key := TokenKey(baseURL, advertiserID)
	v, err := store.Get(key)
	if err == nil && v != "" {
		return v, nil
	}
	if err != nil && !errors.Is(err, secrets.ErrNotFound) {
		return "", err
	}
	if Environment(baseURL) != "production" {
		return "", fmt.Errorf("read keychain entry %q: %w", key, secrets.ErrNotFound)
	}
	old, oerr := store.Get(legacyTokenKey(advertiserID))
	if oerr != nil || old == "" {
		if oerr == nil || errors.Is(oerr, secrets.ErrNotFound) {
			return "", fmt.Errorf("read keychain entry %q: %w", key, secrets.ErrNotFound)
		}
		return "", oerr
	}
	// Move it; if the keychain refuses, the old entry still works next time.
	if store.Set(key, old) == nil {
		store.Delete(legacyTokenKey(advertiserID))
	}
	return old, nil
}

// LoadToken returns the access token for an advertiser on the server at
// baseURL: TIKTOK_ACCESS_TOKEN if set, else the keychain entry saved for
// that environment. Errors say how to provide one.
func LoadToken(store secrets.Store, baseURL, advertiserID string) (string, error) {
	if v := strings.TrimSpace(os.Getenv(EnvAccessToken)); v != "" {
		return v, nil
	}
	if advertiserID == "" {
		return "", errors.New("no TikTok advertiser id: pass --advertiser-id or set it in Settings > TikTok")
	}
	v, err := StoredToken(store, baseURL, advertiserID)
	switch {
	case err == nil:
		return v, nil
	case errors.Is(err, secrets.ErrNotFound):
		return "", fmt.Errorf("no TikTok access token saved for advertiser %s on %s: tokens are kept per environment, so a token saved for another one is never sent here. Save one with `audience-uploader tiktok set-token --advertiser-id %s` (token on stdin; it is saved for the environment in Settings > TikTok) or set %s",
			advertiserID, describeEnvironment(baseURL), advertiserID, EnvAccessToken)
	case errors.Is(err, secrets.ErrUnavailable):
		return "", fmt.Errorf("no OS keychain is available to read the TikTok token (%v): set %s instead; the token is never written to a file", err, EnvAccessToken)
	default:
		return "", fmt.Errorf("read TikTok token for advertiser %s: %w", advertiserID, err)
	}
}

// describeEnvironment names an environment for a sentence.
func describeEnvironment(baseURL string) string {
	switch env := Environment(baseURL); env {
	case "production", "sandbox":
		return "TikTok " + env
	default:
		return "the server at " + env
	}
}

// SaveToken stores an advertiser's token in the keychain for the
// environment baseURL points at.
func SaveToken(store secrets.Store, baseURL, advertiserID, token string) error {
	token = strings.TrimSpace(token)
	if advertiserID == "" {
		return errors.New("save TikTok token: advertiser id is required")
	}
	if token == "" {
		return errors.New("save TikTok token: the token is empty")
	}
	if strings.TrimSpace(baseURL) == "" {
		return errors.New("save TikTok token: the TikTok base URL is required (the token is saved for one environment)")
	}
	if err := store.Set(TokenKey(baseURL, advertiserID), token); err != nil {
		if errors.Is(err, secrets.ErrUnavailable) {
			return fmt.Errorf("save TikTok token: %w; without a keychain set %s in the environment instead (it is never written to a file)", err, EnvAccessToken)
		}
		return fmt.Errorf("save TikTok token for advertiser %s: %w", advertiserID, err)
	}
	if Environment(baseURL) == "production" {
		// A production token under the old key would be stale now.
		store.Delete(legacyTokenKey(advertiserID))
	}
	return nil
}

// DeleteToken removes an advertiser's token for one environment (and, for
// production, any entry under the old advertiser-only key). A missing
// entry is not an error.
func DeleteToken(store secrets.Store, baseURL, advertiserID string) error {
	keys := []string{TokenKey(baseURL, advertiserID)}
	if Environment(baseURL) == "production" {
		keys = append(keys, legacyTokenKey(advertiserID))
	}
	for _, k := range keys {
		if err := store.Delete(k); err != nil && !errors.Is(err, secrets.ErrNotFound) {
			return fmt.Errorf("delete TikTok token for advertiser %s: %w", advertiserID, err)
		}
	}
	return nil
}
