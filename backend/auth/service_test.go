package auth

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/auth/cognitostandin"
	"github.com/audience-uploader/audience-uploader/backend/secrets"
	"github.com/audience-uploader/audience-uploader/backend/settings"
)

// TestService drives the GUI's surface: endpoints come from the SDK's
// standard AWS_ENDPOINT_URL_* variables, pool ids from the settings.
func TestService(t *testing.T) {
	const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	u := alice()
	u.TOTPSecret = secret
	e := newEnv(t, u)
	t.Setenv("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", e.url)
	t.Setenv("AWS_ENDPOINT_URL_COGNITO_IDENTITY", e.url)
	st := settings.Default()
	st.AWS = settings.AWSSettings{CredentialSource: "cognito", Region: "eu-west-1", UserPoolID: testPool, AppClientID: secretClient, IdentityPoolID: testIdentity}
	load := func() (settings.Settings, error) { return st, nil }
	store := secrets.Memory()
	ctx := context.Background()

	svc := NewServiceWith(store, true, load)
	if state, err := svc.Restore(ctx); err != nil || state.SignedIn {
		t.Fatalf("restore with nothing remembered: %+v %v", state, err)
	}
	// The client has a secret: without it Cognito refuses.
	if _, err := svc.SignIn(ctx, "alice@example.com", goodPassword, true); CodeOf(err) != CodeSetup {
		t.Fatalf("sign-in without the client secret: %v", err)
	}
	if err := svc.SetClientSecret(secretClient, clientSecret); err != nil || !svc.HasClientSecret(secretClient) {
		t.Fatal(err)
	}
	state, err := svc.SignIn(ctx, "alice@example.com", goodPassword, true)
	if err != nil || state.SignedIn || state.Challenge == nil || state.Challenge.Name != ChallengeTOTP {
		t.Fatalf("sign-in: %+v %v", state, err)
	}
	if state, err = svc.Answer(ctx, Answer{Code: wrongCode(totp(t, secret, e.clock.Now()))}); CodeOf(err) != CodeWrongCode || state.Challenge == nil {
		t.Fatalf("wrong code: %+v %v", state, err)
	}
	state, err = svc.Answer(ctx, Answer{Code: totp(t, secret, e.clock.Now())})
	if err != nil || !state.SignedIn || !state.Remembered || state.Email != "alice@example.com" || state.Challenge != nil {
		t.Fatalf("after the code: %+v %v", state, err)
	}
	if _, err := svc.AWSConfig(ctx); err != nil {
		t.Fatal(err)
	}

	// The next start of the app resumes from the keychain.
	again := NewServiceWith(store, true, load)
	if state, err := again.Restore(ctx); err != nil || !state.SignedIn || state.Username != alice().Username {
		t.Fatalf("restore: %+v %v", state, err)
	}
	if state, err := again.SignOut(ctx); err != nil || state.SignedIn {
		t.Fatalf("sign-out: %+v %v", state, err)
	}
	if _, err := store.Get(refreshKey(secretClient)); !errors.Is(err, secrets.ErrNotFound) {
		t.Fatalf("still remembered after sign-out: %v", err)
	}
	// Without a keychain the session is memory-only, and the state says so.
	mem := NewServiceWith(secrets.Memory(), false, load)
	if err := mem.SetClientSecret(secretClient, clientSecret); err != nil {
		t.Fatal(err)
	}
	state, _ = mem.SignIn(ctx, "alice@example.com", goodPassword, true)
	state, err = mem.Answer(ctx, Answer{Code: totp(t, secret, e.clock.Now())})
	if err != nil || !state.SignedIn || state.Remembered || state.KeychainAvailable || state.KeychainProblem == "" {
		t.Fatalf("memory-only: %+v %v", state, err)
	}
	// No pool configured yet: restoring is quietly signed out.
	empty := NewServiceWith(secrets.Memory(), true, func() (settings.Settings, error) { return settings.Default(), nil })
	if state, err := empty.Restore(ctx); err != nil || state.SignedIn {
		t.Fatalf("restore without settings: %+v %v", state, err)
	}
	if _, err := empty.Answer(ctx, Answer{Code: "1"}); err == nil {
		t.Fatal("answer without a pending sign-in should fail")
	}
}

// TestAnswerInterrupted cancels, signs out or starts again while Cognito
// (the stand-in, over HTTP) still holds the answer to a new-password
// challenge. The late answer must not crash the call (it used to dereference
// the dropped sign-in), must say the sign-in was cancelled, and must leave
// the service signed out with nothing pending, ready for a fresh sign-in.
func TestAnswerInterrupted(t *testing.T) {
	interrupts := map[string]func(svc *Service){
		"cancel":   func(svc *Service) { svc.CancelSignIn() },
		"sign-out": func(svc *Service) { svc.SignOut(context.Background()) },
	}
	for name, interrupt := range interrupts {
		t.Run(name, func(t *testing.T) {
			u := alice()
			u.Status = cognitostandin.StatusForceChangePassword
			h := &heldRequest{op: "RespondToAuthChallenge"}
			e := newEnvWith(t, h.config, u)
			t.Cleanup(h.release) // before the server closes, even when the test fails
			svc := serviceFor(t, e)
			ctx := context.Background()
			state, err := svc.SignIn(ctx, "alice@example.com", goodPassword, false)
			if err != nil || state.Challenge == nil || state.Challenge.Name != ChallengeNewPassword {
				t.Fatalf("sign-in: %+v %v", state, err)
			}

			h.arm()
			type outcome struct {
				state State
				err   error
				panic any
			}
			done := make(chan outcome, 1)
			go func() {
				var o outcome
				defer func() { o.panic = recover(); done <- o }()
				o.state, o.err = svc.Answer(ctx, Answer{NewPassword: "Brand-New-Pass-7!"})
			}()
			<-h.arrived // the answer is at the stand-in, the service's lock is free
			interrupt(svc)
			h.release()
			o := <-done
			if o.panic != nil {
				t.Fatalf("Answer panicked: %v", o.panic)
			}
			if CodeOf(o.err) != CodeSignInCancelled || !strings.Contains(o.err.Error(), "cancelled") {
				t.Fatalf("the late answer's error: %v", o.err)
			}
			if o.state.SignedIn || o.state.Challenge != nil {
				t.Fatalf("the late answer's state: %+v", o.state)
			}
			if st := svc.State(); st.SignedIn || st.Challenge != nil || svc.Session() != nil {
				t.Fatalf("state after the interrupted answer: %+v", st)
			}
			// The stand-in did change the password; a fresh sign-in with it works.
			if state, err := svc.SignIn(ctx, "alice@example.com", "Brand-New-Pass-7!", false); err != nil || !state.SignedIn {
				t.Fatalf("signing in again: %+v %v", state, err)
			}
		})
	}
}

// TestAnswerReplacedBySignIn: a new sign-in started while an answer is at
// Cognito wins; the old answer is dropped and the new challenge stays.
func TestAnswerReplacedBySignIn(t *testing.T) {
	const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	u := alice()
	u.TOTPSecret = secret
	h := &heldRequest{op: "RespondToAuthChallenge"}
	e := newEnvWith(t, h.config, u)
	t.Cleanup(h.release)
	svc := serviceFor(t, e)
	ctx := context.Background()
	if _, err := svc.SignIn(ctx, "alice@example.com", goodPassword, false); err != nil {
		t.Fatal(err)
	}
	h.arm()
	done := make(chan error, 1)
	go func() {
		_, err := svc.Answer(ctx, Answer{Code: totp(t, secret, e.clock.Now())})
		done <- err
	}()
	<-h.arrived
	if _, err := svc.Answer(ctx, Answer{Code: "000000"}); err == nil || !strings.Contains(err.Error(), "still being checked") {
		t.Fatalf("a second answer while the first is at Cognito: %v", err)
	}
	state, err := svc.SignIn(ctx, "alice@example.com", goodPassword, false)
	if err != nil || state.Challenge == nil || state.Challenge.Name != ChallengeTOTP {
		t.Fatalf("the new sign-in: %+v %v", state, err)
	}
	h.release()
	if err := <-done; CodeOf(err) != CodeSignInCancelled {
		t.Fatalf("the replaced answer: %v", err)
	}
	if st := svc.State(); st.SignedIn || st.Challenge == nil || st.Challenge.Name != ChallengeTOTP {
		t.Fatalf("the new sign-in must still wait for its code: %+v", st)
	}
}

// serviceFor is a Service whose settings point at the stand-in's plain
// client (no secret), with its keychain in memory.
func serviceFor(t *testing.T, e *env) *Service {
	t.Setenv("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", e.url)
	t.Setenv("AWS_ENDPOINT_URL_COGNITO_IDENTITY", e.url)
	st := settings.Default()
	st.AWS = settings.AWSSettings{CredentialSource: "cognito", Region: "eu-west-1", UserPoolID: testPool, AppClientID: testClient, IdentityPoolID: testIdentity}
	return NewServiceWith(secrets.Memory(), true, func() (settings.Settings, error) { return st, nil })
}

// heldRequest makes the stand-in hold the next request for op, once armed,
// until release: the request is then in flight and the client waits.
type heldRequest struct {
	op       string
	armed    atomic.Bool
	arrived  chan struct{}
	released chan struct{}
	once     sync.Once
}

func (h *heldRequest) config(c *cognitostandin.Config) {
	h.arrived, h.released = make(chan struct{}), make(chan struct{})
	c.Hold = func(op string) {
		if op == h.op && h.armed.CompareAndSwap(true, false) {
			close(h.arrived)
			<-h.released
		}
	}
}

func (h *heldRequest) arm()     { h.armed.Store(true) }
func (h *heldRequest) release() { h.once.Do(func() { close(h.released) }) }
