package appsvc

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/audience-uploader/audience-uploader/backend/appmeta"
	"github.com/audience-uploader/audience-uploader/backend/meta"
	"github.com/audience-uploader/audience-uploader/backend/secrets"
)

// Settings > Meta: the ad account (settings.Settings.Meta, saved with
// SaveSettings), the system-user token in the keychain (never read back to
// the window, never logged) and the connection test, which also reads
// whether the Custom Audience Terms are accepted for the account.

// MetaState is what the Meta card shows; it never carries the token.
type MetaState struct {
	AdAccount string `json:"ad_account"`
	// BaseURL is the address in use: META_API_BASE_URL, the settings' or
	// Meta's default.
	BaseURL      string `json:"base_url"`
	TokenSaved   bool   `json:"token_saved"`    // in the OS keychain, for AdAccount
	TokenFromEnv bool   `json:"token_from_env"` // META_ACCESS_TOKEN overrides the keychain
	// KeychainError says, as a sentence, why no keychain can be used.
	KeychainError string `json:"keychain_error,omitempty"`
	// Ready: an ad account and a token, so uploads to Meta can run.
	Ready bool `json:"ready"`
}

// MetaConnectionTest is the answer to Test connection on the Meta card.
type MetaConnectionTest struct {
	AdAccount     string `json:"ad_account"`
	BaseURL       string `json:"base_url"`
	Audiences     int    `json:"audiences"`
	TermsAccepted bool   `json:"terms_accepted"`
	// TermsURL is where a person accepts the Custom Audience Terms for
	// the account; TermsAdvice says so in a sentence when they are not
	// accepted yet ("" when they are).
	TermsURL    string `json:"terms_url"`
	TermsAdvice string `json:"terms_advice,omitempty"`
}

func (s *Service) secretStore() secrets.Store {
	if s.opts.Secrets != nil {
		return s.opts.Secrets
	}
	return secrets.Keychain()
}

// MetaState reports the account, the address and where the token is.
func (s *Service) MetaState() MetaState {
	m := s.Settings().Meta
	st := MetaState{AdAccount: m.AdAccount, BaseURL: orDefault(m.BaseURL, meta.DefaultBaseURL),
		TokenFromEnv: strings.TrimSpace(os.Getenv(meta.EnvToken)) != ""}
	if v := strings.TrimSpace(os.Getenv(meta.EnvBaseURL)); v != "" {
		st.BaseURL = v
	}
	if m.AdAccount != "" {
		_, err := meta.StoredToken(s.secretStore(), m.AdAccount)
		switch {
		case err == nil:
			st.TokenSaved = true
		case errors.Is(err, secrets.ErrUnavailable):
			st.KeychainError = fmt.Sprintf("No OS keychain can be used here (%v), so the token cannot be saved: set %s in the app's environment instead; the token is never written to a file.", errors.Unwrap(err), meta.EnvToken)
		}
	}
	st.Ready = m.AdAccount != "" && (st.TokenSaved || st.TokenFromEnv)
	return st
}

// SaveMetaToken keeps the system-user token for the ad account in the
// keychain. The token is never part of an error.
func (s *Service) SaveMetaToken(adAccount, token string) error {
	adAccount = strings.TrimSpace(adAccount)
	if adAccount == "" {
		return errors.New("Enter the ad account first (act_ followed by digits): the token is saved for that account.")
	}
	if err := meta.SaveToken(s.secretStore(), adAccount, token); err != nil {
		if errors.Is(err, secrets.ErrUnavailable) {
			return fmt.Errorf("The token was not saved: no OS keychain can be used here. Unlock or install GNOME Keyring or KWallet, or set %s in the app's environment.", meta.EnvToken)
		}
		return sentence(fmt.Errorf("the token was not saved: %w", err), "Correct it and save again.")
	}
	return nil
}

// DeleteMetaToken removes the account's token from the keychain.
func (s *Service) DeleteMetaToken(adAccount string) error {
	adAccount = strings.TrimSpace(adAccount)
	if adAccount == "" {
		return nil
	}
	err := s.secretStore().Delete(meta.TokenKey(adAccount))
	if err != nil && !errors.Is(err, secrets.ErrNotFound) {
		return sentence(fmt.Errorf("the Meta token could not be removed from the keychain: %w", err), "Unlock the keychain and try again.")
	}
	return nil
}

// TestMetaConnection reads the Terms state and lists the ad account's
// audiences with the saved settings and token.
func (s *Service) TestMetaConnection() (*MetaConnectionTest, error) {
	c, err := appmeta.Connect(s.ctx, s.Settings().Meta, "", s.secretStore())
	if err != nil {
		return nil, err
	}
	out := &MetaConnectionTest{AdAccount: c.AdAccount(), BaseURL: s.MetaState().BaseURL, TermsURL: c.TermsURL()}
	if out.TermsAccepted, err = c.TermsAccepted(s.ctx); err != nil {
		return nil, appmeta.Problem("The connection test failed", err)
	}
	list, err := c.ListAudiences(s.ctx)
	if err != nil {
		return nil, appmeta.Problem("The connection test failed", err)
	}
	out.Audiences = len(list)
	if !out.TermsAccepted {
		out.TermsAdvice = fmt.Sprintf("The Custom Audience Terms are not accepted for %s, so Meta refuses uploads to it: a person with a role on the ad account must open %s, accept the terms, then test again.", out.AdAccount, out.TermsURL)
	}
	return out, nil
}
