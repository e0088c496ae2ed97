package auth

import (
	"context"
	"errors"
	"testing"

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
