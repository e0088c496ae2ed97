// Package appmeta is how the desktop app's services reach Meta: a client
// for the ad account in the settings of the moment (meta.Connect) and
// every failure of a Meta call worded for the window, saying what happened
// and what to do. Settings > Meta (appsvc), the Audiences view
// (appaudiences) and the wizard's upload (appupload) share it.
package appmeta

import (
	"context"
	"errors"
	"fmt"

	"github.com/audience-uploader/audience-uploader/backend/meta"
	"github.com/audience-uploader/audience-uploader/backend/secrets"
	"github.com/audience-uploader/audience-uploader/backend/settings"
	"github.com/audience-uploader/audience-uploader/backend/window"
)

// Connect opens adAccount ("" means the settings' account) with the
// settings' address and the keychain's token (META_API_BASE_URL and
// META_ACCESS_TOKEN win), each failure as a sentence naming the fix.
func Connect(ctx context.Context, m settings.MetaSettings, adAccount string, store secrets.Store) (*meta.Client, error) {
	if store == nil {
		store = secrets.Keychain()
	}
	c, err := meta.Connect(ctx, meta.ConnectOptions{Settings: m, AdAccount: adAccount, Secrets: store})
	switch {
	case err == nil:
		return c, nil
	case errors.Is(err, meta.ErrNoAdAccount):
		return nil, errors.New("No Meta ad account is set. Open Settings > Meta, enter the ad account (act_ followed by digits) and save a system-user token.")
	case errors.Is(err, secrets.ErrNotFound):
		return nil, errors.New("No Meta token is saved for this ad account. Paste the system-user token in Settings > Meta and save it.")
	case errors.Is(err, secrets.ErrUnavailable):
		return nil, fmt.Errorf("The Meta token cannot be read: no OS keychain can be used here. Unlock or install GNOME Keyring or KWallet, or set %s in the app's environment.", meta.EnvToken)
	}
	return nil, window.Sentence(err, "Correct it in Settings > Meta.")
}

// Problem words an error of a Meta call for the window: what (a sentence
// start such as "The audiences could not be listed"), what Meta said, and
// what to do.
func Problem(what string, err error) error {
	var api *meta.APIError
	if errors.As(err, &api) {
		switch {
		case api.TermsNotAccepted():
			return fmt.Errorf("%s: Meta says the Custom Audience Terms are not accepted for this ad account. A person with a role on the ad account must accept them (Test connection in Settings > Meta gives the address), then try again.", what)
		case api.TokenProblem():
			return fmt.Errorf("%s: Meta did not accept the token (%s). Save a new system-user token in Settings > Meta, then try again.", what, api.Message)
		case api.PermissionProblem():
			return fmt.Errorf("%s: the token may not do this (%s). Give the system user the ads_management permission on the ad account in Business Settings, then try again.", what, api.Message)
		case api.RateLimited():
			return fmt.Errorf("%s: the ad account's hourly Custom Audience calls are used up. Wait an hour and try again.", what)
		case api.NotFound():
			return fmt.Errorf("%s: Meta knows no such audience in this ad account (it may have been deleted). Press Refresh to see the audiences as they are.", what)
		}
	}
	var unknown *meta.UnknownOutcomeError
	if errors.As(err, &unknown) {
		return fmt.Errorf("%s: Meta did not answer, so it is not known whether the change was made (%v). Press Refresh to see the audiences as they are, then try again.", what, unknown.Err)
	}
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("%s: it was cancelled.", what)
	}
	return window.Sentence(fmt.Errorf("%s: %w", what, err), "Check the connection in Settings > Meta, then try again.")
}

// SizeWords says an audience's approximate size range in words. Meta shows
// small audiences as "Below 1000" rather than a count, so any upper bound
// under 1,000 reads "fewer than 1,000"; -1 is a bound Meta did not give.
func SizeWords(lower, upper int64) string {
	switch {
	case lower < 0 && upper < 0:
		return "not available yet"
	case upper >= 0 && upper < 1000:
		return "fewer than 1,000"
	case lower <= 0:
		return "up to " + Count(upper)
	case upper < 0:
		return "at least " + Count(lower)
	case lower == upper:
		return Count(lower)
	}
	return Count(lower) + " to " + Count(upper)
}

// Count writes n with comma separators: 14000 is "14,000".
func Count(n int64) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
