package meta

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/audience-uploader/audience-uploader/backend/secrets"
	"github.com/audience-uploader/audience-uploader/backend/settings"
)

// TokenKey is the keychain entry holding the system-user token for an ad
// account. Tokens are kept per account, beside TikTok's entries
// ("tiktok-access-token:…"), which stay where they were.
func TokenKey(adAccount string) string { return "meta-access-token:" + adAccount }

// ConnectOptions say where a connection's pieces come from.
type ConnectOptions struct {
	Settings  settings.MetaSettings // ad account and base URL
	AdAccount string                // "" means Settings.AdAccount
	Secrets   secrets.Store         // the keychain holding the token (META_ACCESS_TOKEN wins)
	Log       func(Event)           // every exchange; may be nil
	QPS       float64               // ceiling of requests per second; 0 means DefaultQPS
}

// ErrNoAdAccount: neither the caller nor the settings name an ad account.
var ErrNoAdAccount = errors.New("no Meta ad account: enter it (act_ followed by digits) in Settings > Meta or pass --ad-account")

// Connect is the one way to reach Meta: the ad account (given or from the
// settings), the base URL (META_API_BASE_URL, then the settings, then
// DefaultBaseURL), the token (META_ACCESS_TOKEN, then the keychain entry of
// that account) and a client.
func Connect(ctx context.Context, o ConnectOptions) (*Client, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	acct := strings.TrimSpace(o.AdAccount)
	if acct == "" {
		acct = strings.TrimSpace(o.Settings.AdAccount)
	}
	if acct == "" {
		return nil, ErrNoAdAccount
	}
	qps := o.QPS
	if qps == 0 {
		qps = DefaultQPS
	}
	opts := Options{BaseURL: o.Settings.BaseURL, AdAccount: acct, Log: o.Log, QPS: qps}.FromEnv()
	if opts.Token == "" {
		tok, err := StoredToken(o.Secrets, acct)
		if err != nil {
			return nil, err
		}
		opts.Token = tok
	}
	return New(opts)
}

// StoredToken reads the account's token from the keychain. The error says
// what to do and wraps secrets.ErrNotFound or secrets.ErrUnavailable.
func StoredToken(store secrets.Store, adAccount string) (string, error) {
	if store == nil {
		return "", fmt.Errorf("no Meta access token for %s: set %s (no keychain here): %w", adAccount, EnvToken, secrets.ErrUnavailable)
	}
	v, err := store.Get(TokenKey(adAccount))
	if errors.Is(err, secrets.ErrNotFound) || (err == nil && v == "") {
		return "", fmt.Errorf("no Meta access token saved for %s: save a system-user token in Settings > Meta, or run `audience-uploader meta set-token --ad-account %s` (or set %s): %w", adAccount, adAccount, EnvToken, secrets.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("reading the Meta token for %s from the keychain: %w", adAccount, err)
	}
	return v, nil
}

// SaveToken keeps a token for an ad account in the keychain.
func SaveToken(store secrets.Store, adAccount, token string) error {
	if !adAccountPattern.MatchString(adAccount) {
		return fmt.Errorf("the ad account %q is not of the form act_ followed by digits (Business Settings > Ad accounts shows the id)", adAccount)
	}
	token = strings.TrimSpace(token)
	if token == "" {
		return errors.New("the Meta access token is empty: paste the system-user token from Business Settings > System users")
	}
	return store.Set(TokenKey(adAccount), token)
}
