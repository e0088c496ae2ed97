package auth

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/audience-uploader/audience-uploader/backend/secrets"
)

// RefreshBefore is how long before expiry tokens are refreshed.
const RefreshBefore = 5 * time.Minute

// Keychain entries, one per item (Windows caps a value at 2.5 KB), keyed by
// app client so two pools never mix.
func refreshKey(clientID string) string  { return "cognito." + clientID + ".refresh_token" }
func usernameKey(clientID string) string { return "cognito." + clientID + ".username" }
func sessionDeviceKey(clientID string) string {
	return "cognito." + clientID + ".session_device_key"
}

// ClientSecretKey is the keychain entry holding an app client's secret.
func ClientSecretKey(clientID string) string { return "cognito." + clientID + ".client_secret" }

// Session is a signed-in person: it refreshes tokens before they expire and,
// with remember-me, keeps the refresh token in the keychain.
type Session struct {
	c     *Client
	store secrets.Store // nil: memory only

	mu  sync.Mutex
	tok Tokens
}

// NewSession starts a session from a finished sign-in. With a store the
// refresh token (and canonical user name) are remembered there.
func (c *Client) NewSession(t *Tokens, store secrets.Store) (*Session, error) {
	if t == nil {
		return nil, errors.New("starting a session: the sign-in is not finished")
	}
	s := &Session{c: c, store: store, tok: *t}
	if store != nil {
		if err := store.Set(refreshKey(c.cfg.ClientID), t.RefreshToken); err != nil {
			return s, fmt.Errorf("remembering the sign-in in the keychain: %w", err)
		}
		if err := store.Set(usernameKey(c.cfg.ClientID), t.Username); err != nil {
			return s, fmt.Errorf("remembering the sign-in in the keychain: %w", err)
		}
		if t.DeviceKey == "" {
			_ = store.Delete(sessionDeviceKey(c.cfg.ClientID))
		} else if err := store.Set(sessionDeviceKey(c.cfg.ClientID), t.DeviceKey); err != nil {
			return s, fmt.Errorf("remembering the sign-in in the keychain: %w", err)
		}
	}
	return s, nil
}

// Resume signs in again from a remembered refresh token. It returns
// secrets.ErrNotFound (wrapped) when nothing is remembered.
func (c *Client) Resume(ctx context.Context, store secrets.Store) (*Session, error) {
	rt, err := store.Get(refreshKey(c.cfg.ClientID))
	if err != nil {
		return nil, fmt.Errorf("reading the remembered sign-in: %w", err)
	}
	user, err := store.Get(usernameKey(c.cfg.ClientID))
	if err != nil {
		return nil, fmt.Errorf("reading the remembered sign-in: %w", err)
	}
	device, _ := store.Get(sessionDeviceKey(c.cfg.ClientID)) // absent unless the pool tracks devices
	s := &Session{c: c, store: store, tok: Tokens{RefreshToken: rt, Username: user, DeviceKey: device}}
	if err := s.Refresh(ctx); err != nil {
		if CodeOf(err) == CodeSessionExpired {
			s.forget()
		}
		return nil, err
	}
	return s, nil
}

// Remembered reports whether the session's refresh token is in a store.
func (s *Session) Remembered() bool { return s.store != nil }

// User is the signed-in person's canonical user name and e-mail.
func (s *Session) User() (username, email string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tok.Username, s.tok.Email
}

// Expiry is when the current ID and access tokens expire.
func (s *Session) Expiry() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tok.Expiry
}

// Tokens returns valid tokens, refreshing them first when they expire
// within RefreshBefore.
func (s *Session) Tokens(ctx context.Context) (Tokens, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// Checked under the lock so concurrent callers refresh once.
	if s.tok.IDToken != "" && s.c.now().Add(RefreshBefore).Before(s.tok.Expiry) {
		return s.tok, nil
	}
	if err := s.refreshLocked(ctx); err != nil {
		return Tokens{}, err
	}
	return s.tok, nil
}

// Refresh trades the refresh token for new ID and access tokens.
func (s *Session) Refresh(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refreshLocked(ctx)
}

func (s *Session) refreshLocked(ctx context.Context) error {
	if s.tok.RefreshToken == "" {
		return &Error{Code: CodeSessionExpired}
	}
	params := map[string]string{"REFRESH_TOKEN": s.tok.RefreshToken}
	if h := s.c.secretHash(s.tok.Username); h != nil {
		params["SECRET_HASH"] = *h
	}
	if s.tok.DeviceKey != "" {
		params["DEVICE_KEY"] = s.tok.DeviceKey // pools that track devices refuse the refresh without it
	}
	out, err := s.c.idp.InitiateAuth(ctx, &cip.InitiateAuthInput{
		AuthFlow: types.AuthFlowTypeRefreshTokenAuth, ClientId: aws.String(s.c.cfg.ClientID), AuthParameters: params,
	})
	if err != nil {
		return classify(err, s.c.now())
	}
	if out.AuthenticationResult == nil {
		return &Error{Code: CodeService, Detail: "the token refresh returned no tokens"}
	}
	t, err := s.c.tokensFrom(out.AuthenticationResult, s.tok.RefreshToken)
	if err != nil {
		return err
	}
	t.DeviceKey = s.tok.DeviceKey
	if t.RefreshToken != s.tok.RefreshToken && s.store != nil {
		// Pools with refresh-token rotation hand out a new one.
		if err := s.store.Set(refreshKey(s.c.cfg.ClientID), t.RefreshToken); err != nil {
			return fmt.Errorf("remembering the new refresh token in the keychain: %w", err)
		}
	}
	s.tok = *t
	return nil
}

// SignOut revokes the refresh token (best effort: signing out works offline
// too), forgets it in the keychain and drops the tokens from memory.
func (s *Session) SignOut(ctx context.Context) error {
	s.mu.Lock()
	rt := s.tok.RefreshToken
	s.tok = Tokens{}
	s.mu.Unlock()
	var revokeErr error
	if rt != "" {
		in := &cip.RevokeTokenInput{ClientId: aws.String(s.c.cfg.ClientID), Token: aws.String(rt)}
		if s.c.cfg.ClientSecret != "" {
			in.ClientSecret = aws.String(s.c.cfg.ClientSecret)
		}
		if _, err := s.c.idp.RevokeToken(ctx, in); err != nil {
			revokeErr = classify(err, s.c.now())
		}
	}
	if err := s.forget(); err != nil {
		return err
	}
	if revokeErr != nil && CodeOf(revokeErr) != CodeNetwork {
		return fmt.Errorf("signed out on this computer, but revoking the session at Cognito failed: %w", revokeErr)
	}
	return nil
}

func (s *Session) forget() error {
	if s.store == nil {
		return nil
	}
	return Forget(s.store, s.c.cfg.ClientID)
}

// Forget deletes a remembered sign-in from the store.
func Forget(store secrets.Store, clientID string) error {
	for _, k := range []string{refreshKey(clientID), usernameKey(clientID), sessionDeviceKey(clientID)} {
		if err := store.Delete(k); err != nil && !errors.Is(err, secrets.ErrNotFound) {
			return fmt.Errorf("forgetting the sign-in in the keychain: %w", err)
		}
	}
	return nil
}

// SignOutRemembered signs out a remembered sign-in without refreshing it
// first (the CLI's logout): revoke the refresh token, then forget it.
func (c *Client) SignOutRemembered(ctx context.Context, store secrets.Store) error {
	rt, err := store.Get(refreshKey(c.cfg.ClientID))
	if errors.Is(err, secrets.ErrNotFound) {
		return Forget(store, c.cfg.ClientID)
	}
	if err != nil {
		return fmt.Errorf("reading the remembered sign-in: %w", err)
	}
	user, _ := store.Get(usernameKey(c.cfg.ClientID))
	s := &Session{c: c, store: store, tok: Tokens{RefreshToken: rt, Username: user}}
	return s.SignOut(ctx)
}
