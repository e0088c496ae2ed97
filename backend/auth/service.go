package auth

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/audience-uploader/audience-uploader/backend/secrets"
	"github.com/audience-uploader/audience-uploader/backend/settings"
)

// Service is the sign-in surface the desktop app binds through app.go:
// methods with JSON-friendly results and no Wails import. It reads the pool
// settings afresh for each sign-in, so edits in Settings apply at once.
type Service struct {
	store       secrets.Store // the OS keychain, or memory when there is none
	keychain    bool
	keychainWhy string
	keychainErr error // the keychain library's own reason, for the log only
	load        func() (settings.Settings, error)

	mu      sync.Mutex
	pending *pendingSignIn // nil: no sign-in waits for an answer
	gen     uint64         // bumped by every start, cancel and sign-out
	session *Session
}

// pendingSignIn is a sign-in waiting for the person's answer. Answer keeps
// its own pointer while Cognito checks the answer without the lock, and
// finishes only if this is still the pending sign-in: a cancel, a sign-out
// or a newer sign-in meanwhile replaces it, and the late answer is dropped.
type pendingSignIn struct {
	in        *SignIn
	client    *Client
	remember  bool
	answering bool // an answer is at Cognito; a second one would race on in
}

// State is what the GUI shows: signed in or not, who, and any pending challenge.
type State struct {
	SignedIn          bool       `json:"signed_in"`
	Username          string     `json:"username,omitempty"`
	Email             string     `json:"email,omitempty"`
	Expiry            time.Time  `json:"expiry,omitzero"`
	Remembered        bool       `json:"remembered"`
	KeychainAvailable bool       `json:"keychain_available"`
	KeychainProblem   string     `json:"keychain_problem,omitempty"` // why sign-ins are memory-only
	Challenge         *Challenge `json:"challenge,omitempty"`
}

// NewService uses the OS keychain when one answers, else memory only (the
// State says so), and settings.Load for the pool settings.
func NewService() *Service {
	if err := secrets.Probe(); err != nil {
		s := NewServiceWith(secrets.Memory(), false, settings.Load)
		s.keychainWhy = secrets.UnavailableNotice(err) // plain words; err itself goes to the log
		s.keychainErr = err
		return s
	}
	return NewServiceWith(secrets.Keychain(), true, settings.Load)
}

// KeychainError is why the OS keychain could not be used (nil when it is),
// in the keychain library's words: for the log, not for the screen.
func (s *Service) KeychainError() error { return s.keychainErr }

// NewServiceWith is NewService with a given store and settings loader (tests).
func NewServiceWith(store secrets.Store, keychain bool, load func() (settings.Settings, error)) *Service {
	s := &Service{store: store, keychain: keychain, load: load}
	if !keychain {
		s.keychainWhy = "No OS keychain is available: you will have to sign in each time the app starts."
	}
	return s
}

func (s *Service) client(ctx context.Context) (*Client, error) {
	st, err := s.load()
	if err != nil {
		return nil, fmt.Errorf("reading the settings: %w", err)
	}
	cfg := ConfigFromSettings(st.AWS)
	if v, err := s.store.Get(ClientSecretKey(cfg.ClientID)); err == nil && cfg.ClientID != "" {
		cfg.ClientSecret = v
	}
	return NewClient(ctx, cfg)
}

// State reports the current state.
func (s *Service) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stateLocked()
}

func (s *Service) stateLocked() State {
	st := State{KeychainAvailable: s.keychain, KeychainProblem: s.keychainWhy}
	if s.pending != nil {
		st.Challenge = s.pending.in.Challenge()
	}
	if s.session != nil {
		st.SignedIn = true
		st.Username, st.Email = s.session.User()
		st.Expiry = s.session.Expiry()
		st.Remembered = s.session.Remembered()
	}
	return st
}

// Restore resumes a remembered sign-in at start-up. Nothing remembered (or
// no pool configured yet) is not an error: the state is simply signed out.
func (s *Service) Restore(ctx context.Context) (State, error) {
	c, err := s.client(ctx)
	if CodeOf(err) == CodeSetup {
		return s.State(), nil
	}
	if err != nil {
		return s.State(), err
	}
	gen := s.generation()
	sess, err := c.Resume(ctx, s.store)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gen != gen {
		// The person signed in or out while this ran: theirs is the newer word.
		return s.stateLocked(), nil
	}
	switch {
	case errors.Is(err, secrets.ErrNotFound), CodeOf(err) == CodeSessionExpired:
		return s.stateLocked(), nil
	case err != nil:
		return s.stateLocked(), err
	}
	s.session = sess
	return s.stateLocked(), nil
}

// SignIn starts a sign-in; the State carries the first challenge, if any.
// With remember the refresh token goes to the keychain (when there is one).
// It replaces any sign-in still waiting for an answer.
func (s *Service) SignIn(ctx context.Context, username, password string, remember bool) (State, error) {
	gen := s.restart()
	c, err := s.client(ctx)
	if err != nil {
		return s.State(), err
	}
	// Remember-me also remembers this computer, for pools that track devices.
	in, err := c.StartSignIn(ctx, username, password, s.rememberIn(remember))
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gen != gen {
		return s.stateLocked(), errSignInCancelled()
	}
	if err != nil {
		return s.stateLocked(), err
	}
	p := &pendingSignIn{in: in, client: c, remember: remember}
	s.pending = p
	return s.finishLocked(p)
}

// Answer answers the pending challenge. A wrong code leaves it pending.
// If the sign-in is cancelled, signed out or replaced while Cognito checks
// the answer, the answer's outcome is dropped and the error says so.
func (s *Service) Answer(ctx context.Context, a Answer) (State, error) {
	s.mu.Lock()
	p := s.pending
	switch {
	case p == nil:
		s.mu.Unlock()
		return s.State(), errors.New("there is no sign-in waiting for an answer: start again")
	case p.answering:
		s.mu.Unlock()
		return s.State(), errors.New("the previous answer is still being checked: wait for it, then try again")
	}
	p.answering = true
	s.mu.Unlock()

	err := p.in.Answer(ctx, a)

	s.mu.Lock()
	defer s.mu.Unlock()
	p.answering = false
	if s.pending != p {
		return s.stateLocked(), errSignInCancelled()
	}
	if err != nil {
		if CodeOf(err) == CodeSessionExpired || CodeOf(err) == CodeTooManyAttempts {
			s.pending = nil // Cognito ended this sign-in: start over
		}
		return s.stateLocked(), err
	}
	return s.finishLocked(p)
}

// errSignInCancelled is what a sign-in step returns when the person cancelled
// (or signed out, or started again) while Cognito was answering it.
func errSignInCancelled() error { return &Error{Code: CodeSignInCancelled} }

// rememberIn is where a sign-in is remembered: the keychain with
// remember-me when there is one, else nowhere (nil).
func (s *Service) rememberIn(remember bool) secrets.Store {
	if remember && s.keychain {
		return s.store
	}
	return nil
}

// finishLocked turns the pending sign-in p into the session once Cognito
// has handed out tokens; until then p stays pending with its challenge.
func (s *Service) finishLocked(p *pendingSignIn) (State, error) {
	if !p.in.Done() {
		return s.stateLocked(), nil
	}
	sess, err := p.client.NewSession(p.in.Tokens(), s.rememberIn(p.remember))
	s.pending = nil
	if sess != nil {
		s.session = sess
	}
	return s.stateLocked(), err
}

// generation is the current generation; a step that drops the lock checks
// it again before it applies its outcome.
func (s *Service) generation() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gen
}

// restart drops the pending sign-in and starts a new generation.
func (s *Service) restart() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
	s.pending = nil
	return s.gen
}

// CancelSignIn drops a sign-in that is waiting for a challenge answer (or
// for Cognito's answer to its first step).
func (s *Service) CancelSignIn() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
	s.pending = nil
	return s.stateLocked()
}

// SignOut revokes and forgets the session, and drops a pending sign-in.
func (s *Service) SignOut(ctx context.Context) (State, error) {
	s.mu.Lock()
	sess := s.session
	s.gen++
	s.session, s.pending = nil, nil
	s.mu.Unlock()
	var err error
	if sess != nil {
		err = sess.SignOut(ctx)
	}
	return s.State(), err
}

// Session is the signed-in session, nil when signed out.
func (s *Service) Session() *Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.session
}

// AWSConfig is the configuration for S3 the settings choose: identity-pool
// credentials of the signed-in person, or the standard AWS credential chain.
func (s *Service) AWSConfig(ctx context.Context) (aws.Config, error) {
	st, err := s.load()
	if err != nil {
		return aws.Config{}, fmt.Errorf("reading the settings: %w", err)
	}
	return AWSConfig(ctx, st.AWS.CredentialSource, st.AWS.Region, st.AWS.Profile, s.Session())
}

// SetClientSecret keeps an app client's secret in the keychain ("" deletes
// it). It never goes to the settings file.
func (s *Service) SetClientSecret(clientID, secret string) error {
	if clientID == "" {
		return errors.New("saving the app client secret: set the app client id first")
	}
	if secret == "" {
		if err := s.store.Delete(ClientSecretKey(clientID)); err != nil && !errors.Is(err, secrets.ErrNotFound) {
			return fmt.Errorf("removing the app client secret: %w", err)
		}
		return nil
	}
	if err := s.store.Set(ClientSecretKey(clientID), secret); err != nil {
		return fmt.Errorf("saving the app client secret in the keychain: %w", err)
	}
	return nil
}

// HasClientSecret tells whether a secret is stored for the app client.
func (s *Service) HasClientSecret(clientID string) bool {
	_, err := s.store.Get(ClientSecretKey(clientID))
	return err == nil
}
