package auth

import (
	"context"
	"errors"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/auth/cognitostandin"
	"github.com/audience-uploader/audience-uploader/backend/secrets"
	"github.com/audience-uploader/audience-uploader/backend/settings"
)

const (
	testPool     = "eu-west-1_TestPool"
	testClient   = "client-without-secret"
	secretClient = "client-with-secret"
	clientSecret = "s3cr3t-client-secret-value"
	testIdentity = "eu-west-1:00000000-aaaa-bbbb-cccc-000000000000"
	goodPassword = "Correct-Horse-9!"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type env struct {
	std   *cognitostandin.Server
	url   string
	clock *clock
}

func newEnv(t *testing.T, users ...cognitostandin.User) *env {
	t.Helper()
	return newEnvWith(t, func(*cognitostandin.Config) {}, users...)
}

// newEnvWith is newEnv with the stand-in's configuration changed by mod.
func newEnvWith(t *testing.T, mod func(*cognitostandin.Config), users ...cognitostandin.User) *env {
	t.Helper()
	clk := &clock{t: time.Now()}
	cfg := cognitostandin.Config{
		Region: "eu-west-1", UserPoolID: testPool, IdentityPoolID: testIdentity,
		Clients:     map[string]string{testClient: "", secretClient: clientSecret},
		AccessKeyID: "AKIDSTANDIN", SecretAccessKey: "standin-secret-key",
		TokenTTL: 10 * time.Minute, Now: clk.Now,
	}
	mod(&cfg)
	std := cognitostandin.New(cfg)
	for _, u := range users {
		if err := std.AddUser(u); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(std)
	t.Cleanup(srv.Close)
	return &env{std: std, url: srv.URL, clock: clk}
}

func (e *env) client(t *testing.T, mod ...func(*Config)) *Client {
	t.Helper()
	cfg := Config{Region: "eu-west-1", UserPoolID: testPool, ClientID: testClient, IdentityPoolID: testIdentity,
		UserPoolEndpoint: e.url, IdentityEndpoint: e.url, MaxAttempts: 1, Now: e.clock.Now}
	for _, m := range mod {
		m(&cfg)
	}
	c, err := NewClient(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func alice() cognitostandin.User {
	return cognitostandin.User{Username: "c0ffee00-1111-2222-3333-444455556666", Email: "alice@example.com", Password: goodPassword}
}

func TestSignInWithoutChallenge(t *testing.T) {
	e := newEnv(t, alice())
	for _, tc := range []struct {
		name, login string
		mod         func(*Config)
	}{
		{"canonical name", alice().Username, nil},
		{"e-mail alias", "alice@example.com", nil},
		{"client with secret", "alice@example.com", func(c *Config) { c.ClientID, c.ClientSecret = secretClient, clientSecret }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mods []func(*Config)
			if tc.mod != nil {
				mods = append(mods, tc.mod)
			}
			s, err := e.client(t, mods...).StartSignIn(context.Background(), tc.login, goodPassword, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !s.Done() || s.Challenge() != nil {
				t.Fatalf("expected tokens, got challenge %+v", s.Challenge())
			}
			tok := s.Tokens()
			if tok.Username != alice().Username || tok.Email != "alice@example.com" || tok.RefreshToken == "" {
				t.Fatalf("tokens: %+v", tok)
			}
		})
	}
}

func TestSignInErrors(t *testing.T) {
	e := newEnv(t, alice(),
		cognitostandin.User{Username: "rst-user-1", Password: goodPassword, Status: cognitostandin.StatusResetRequired},
		cognitostandin.User{Username: "unc-user-2", Password: goodPassword, Status: cognitostandin.StatusUnconfirmed},
	)
	ctx := context.Background()
	down := httptest.NewServer(nil)
	downURL := down.URL
	down.Close()
	for _, tc := range []struct {
		name, user, password string
		mod                  func(*Config)
		want                 Code
	}{
		{"wrong password", "alice@example.com", "Wrong-Horse-9!", nil, CodeWrongCredentials},
		{"unknown user", "nobody@example.com", goodPassword, nil, CodeWrongCredentials},
		{"reset required", "rst-user-1", goodPassword, nil, CodePasswordResetRequired},
		{"not confirmed", "unc-user-2", goodPassword, nil, CodeNotConfirmed},
		{"network down", "alice@example.com", goodPassword, func(c *Config) { c.UserPoolEndpoint = downURL }, CodeNetwork},
		{"clock skew", "alice@example.com", goodPassword, func(c *Config) {
			c.Now = func() time.Time { return e.clock.Now().Add(-47 * time.Minute) }
		}, CodeClockSkew},
		{"wrong client secret", "alice@example.com", goodPassword, func(c *Config) { c.ClientID, c.ClientSecret = secretClient, "nope" }, CodeSetup},
		{"unknown app client", "alice@example.com", goodPassword, func(c *Config) { c.ClientID = "no-such-client" }, CodeSetup},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mods []func(*Config)
			if tc.mod != nil {
				mods = append(mods, tc.mod)
			}
			_, err := e.client(t, mods...).StartSignIn(ctx, tc.user, tc.password, nil)
			if CodeOf(err) != tc.want {
				t.Fatalf("err = %v (code %q), want code %q", err, CodeOf(err), tc.want)
			}
			msg := err.Error()
			if strings.Contains(msg, tc.user) || strings.Contains(msg, tc.password) {
				t.Fatalf("error message echoes what was typed: %q", msg)
			}
			if !strings.HasSuffix(msg, ".") || msg[0] < 'A' || msg[0] > 'Z' {
				t.Fatalf("error is not a sentence: %q", msg)
			}
		})
	}
	_, unknown := e.client(t).StartSignIn(ctx, "nobody@example.com", goodPassword, nil)
	_, wrongErr := e.client(t).StartSignIn(ctx, "alice@example.com", "Wrong-Horse-9!", nil)
	if wrongErr.Error() != unknown.Error() {
		t.Fatalf("wrong password and unknown user must read the same: %q vs %q", wrongErr, unknown)
	}
}

func TestTooManyAttempts(t *testing.T) {
	e := newEnv(t, alice())
	c := e.client(t)
	var err error
	for i := 0; i < 6; i++ {
		_, err = c.StartSignIn(context.Background(), "alice@example.com", "Wrong-Horse-9!", nil)
	}
	if CodeOf(err) != CodeTooManyAttempts {
		t.Fatalf("after 6 wrong passwords: %v", err)
	}
	// Even the right password is refused now.
	if _, err := c.StartSignIn(context.Background(), "alice@example.com", goodPassword, nil); CodeOf(err) != CodeTooManyAttempts {
		t.Fatalf("right password after lock-out: %v", err)
	}
}

func TestNewPasswordRequired(t *testing.T) {
	u := alice()
	u.Status = cognitostandin.StatusForceChangePassword
	u.Password = "Temp-Pass-1!"
	u.RequiredAttributes = []string{"name", "family_name"}
	e := newEnv(t, u)
	ctx := context.Background()
	c := e.client(t)
	s, err := c.StartSignIn(ctx, "alice@example.com", "Temp-Pass-1!", nil)
	if err != nil {
		t.Fatal(err)
	}
	ch := s.Challenge()
	if ch == nil || ch.Name != ChallengeNewPassword || strings.Join(ch.RequiredAttributes, ",") != "name,family_name" {
		t.Fatalf("challenge = %+v", ch)
	}
	for _, tc := range []struct {
		name string
		a    Answer
		want Code
	}{
		{"missing attribute", Answer{NewPassword: "New-Password-2!", Attributes: map[string]string{"name": "Alice"}}, CodeMissingAttribute},
		{"weak password", Answer{NewPassword: "weak", Attributes: map[string]string{"name": "Alice", "family_name": "A"}}, CodeInvalidPassword},
	} {
		if err := s.Answer(ctx, tc.a); CodeOf(err) != tc.want {
			t.Fatalf("%s: err = %v, want %s", tc.name, err, tc.want)
		}
	}
	if err := s.Answer(ctx, Answer{NewPassword: "New-Password-2!", Attributes: map[string]string{"name": "Alice", "family_name": "A"}}); err != nil {
		t.Fatal(err)
	}
	if !s.Done() {
		t.Fatalf("not signed in after the new password: %+v", s.Challenge())
	}
	// The new password works, the temporary one no longer does.
	if s2, err := c.StartSignIn(ctx, "alice@example.com", "New-Password-2!", nil); err != nil || !s2.Done() {
		t.Fatalf("sign-in with the new password: %v", err)
	}
	if _, err := c.StartSignIn(ctx, "alice@example.com", "Temp-Pass-1!", nil); CodeOf(err) != CodeWrongCredentials {
		t.Fatalf("temporary password still accepted: %v", err)
	}
}

func totp(t *testing.T, secret string, now time.Time) string {
	t.Helper()
	code, err := cognitostandin.TOTP(secret, now)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

func wrongCode(code string) string {
	if code == "000000" {
		return "111111"
	}
	return "000000"
}

func TestMFAChallenges(t *testing.T) {
	const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		user   cognitostandin.User
		steps  []string // challenge names expected in order
		choose string
	}{
		{"software token", cognitostandin.User{TOTPSecret: secret}, []string{ChallengeTOTP}, ""},
		{"sms", cognitostandin.User{Phone: "+15555550123"}, []string{ChallengeSMS}, ""},
		{"select sms", cognitostandin.User{TOTPSecret: secret, Phone: "+15555550123"}, []string{ChallengeSelectMFA, ChallengeSMS}, "SMS_MFA"},
		{"select totp", cognitostandin.User{TOTPSecret: secret, Phone: "+15555550123"}, []string{ChallengeSelectMFA, ChallengeTOTP}, "SOFTWARE_TOKEN_MFA"},
		{"setup", cognitostandin.User{MFASetupRequired: true}, []string{ChallengeMFASetup}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := tc.user
			u.Username, u.Email, u.Password = "bob-id", "bob@example.com", goodPassword
			e := newEnv(t, u)
			c := e.client(t)
			s, err := c.StartSignIn(ctx, "bob@example.com", goodPassword, nil)
			if err != nil {
				t.Fatal(err)
			}
			var setupSecret string
			for i, want := range tc.steps {
				ch := s.Challenge()
				if ch == nil || ch.Name != want {
					t.Fatalf("step %d: challenge = %+v, want %s", i, ch, want)
				}
				var right string
				switch ch.Name {
				case ChallengeSelectMFA:
					if strings.Join(ch.MFAChoices, ",") != "SMS_MFA,SOFTWARE_TOKEN_MFA" {
						t.Fatalf("choices = %v", ch.MFAChoices)
					}
					if err := s.Answer(ctx, Answer{MFAType: tc.choose}); err != nil {
						t.Fatal(err)
					}
					continue
				case ChallengeTOTP:
					right = totp(t, secret, e.clock.Now())
				case ChallengeSMS:
					if ch.CodeDestination != "+*******0123" {
						t.Fatalf("destination = %q", ch.CodeDestination)
					}
					right = e.std.LastSMSCode("bob-id")
				case ChallengeMFASetup:
					setupSecret = ch.SetupSecret
					uri, err := url.Parse(ch.SetupURI)
					if err != nil || uri.Scheme != "otpauth" || uri.Host != "totp" || uri.Query().Get("secret") != setupSecret || setupSecret == "" {
						t.Fatalf("setup URI %q is not a TOTP otpauth URI for the secret", ch.SetupURI)
					}
					right = totp(t, setupSecret, e.clock.Now())
				}
				if err := s.Answer(ctx, Answer{Code: wrongCode(right)}); CodeOf(err) != CodeWrongCode {
					t.Fatalf("wrong code: err = %v", err)
				}
				if s.Challenge() == nil || s.Challenge().Name != want {
					t.Fatalf("after a wrong code the challenge should stay: %+v", s.Challenge())
				}
				if err := s.Answer(ctx, Answer{Code: right}); err != nil {
					t.Fatal(err)
				}
			}
			if !s.Done() {
				t.Fatalf("not signed in: %+v", s.Challenge())
			}
			if setupSecret != "" {
				// The authenticator is now registered: next time it is asked for.
				if got := e.std.UserTOTPSecret("bob-id"); got != setupSecret {
					t.Fatal("the stand-in did not register the authenticator")
				}
				s2, err := c.StartSignIn(ctx, "bob@example.com", goodPassword, nil)
				if err != nil || s2.Challenge() == nil || s2.Challenge().Name != ChallengeTOTP {
					t.Fatalf("second sign-in after setup: %v %+v", err, s2)
				}
			}
		})
	}
}

func signedIn(t *testing.T, e *env, c *Client, store secrets.Store) *Session {
	t.Helper()
	s, err := c.StartSignIn(context.Background(), "alice@example.com", goodPassword, nil)
	if err != nil || !s.Done() {
		t.Fatalf("sign-in: %v", err)
	}
	sess, err := c.NewSession(s.Tokens(), store)
	if err != nil {
		t.Fatal(err)
	}
	return sess
}

func TestRefreshBeforeExpiry(t *testing.T) {
	for _, secret := range []string{"", clientSecret} {
		t.Run("secret="+map[bool]string{true: "yes", false: "no"}[secret != ""], func(t *testing.T) {
			e := newEnv(t, alice())
			c := e.client(t, func(cfg *Config) {
				if secret != "" {
					cfg.ClientID, cfg.ClientSecret = secretClient, secret
				}
			})
			ctx := context.Background()
			sess := signedIn(t, e, c, nil)
			first, err := sess.Tokens(ctx)
			if err != nil {
				t.Fatal(err)
			}
			before := e.std.Calls("InitiateAuth")
			e.clock.Advance(4 * time.Minute) // 6 minutes left: no refresh yet
			if _, err := sess.Tokens(ctx); err != nil || e.std.Calls("InitiateAuth") != before {
				t.Fatalf("refreshed too early (err %v)", err)
			}
			e.clock.Advance(2 * time.Minute) // 4 minutes left: refresh
			second, err := sess.Tokens(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if e.std.Calls("InitiateAuth") != before+1 || !second.Expiry.After(first.Expiry) || second.IDToken == first.IDToken {
				t.Fatalf("tokens were not refreshed: calls %d", e.std.Calls("InitiateAuth")-before)
			}
			if second.RefreshToken != first.RefreshToken {
				t.Fatal("the refresh token should be kept when Cognito sends none")
			}
			// Callers racing for stale tokens refresh once.
			e.clock.Advance(8 * time.Minute)
			before = e.std.Calls("InitiateAuth")
			var wg sync.WaitGroup
			for i := 0; i < 5; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := sess.Tokens(ctx); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			if n := e.std.Calls("InitiateAuth") - before; n != 1 {
				t.Fatalf("5 concurrent callers refreshed %d times", n)
			}
		})
	}
}

func TestRememberResumeAndSignOut(t *testing.T) {
	e := newEnv(t, alice())
	c := e.client(t)
	ctx := context.Background()
	store := secrets.Memory()
	sess := signedIn(t, e, c, store)
	if _, err := store.Get(refreshKey(testClient)); err != nil {
		t.Fatalf("refresh token not remembered: %v", err)
	}
	resumed, err := c.Resume(ctx, store)
	if err != nil {
		t.Fatal(err)
	}
	if u, _ := resumed.User(); u != alice().Username {
		t.Fatalf("resumed user = %q", u)
	}
	if err := sess.SignOut(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Get(refreshKey(testClient)); !errors.Is(err, secrets.ErrNotFound) {
		t.Fatalf("refresh token still remembered after sign-out: %v", err)
	}
	if _, err := c.Resume(ctx, store); !errors.Is(err, secrets.ErrNotFound) {
		t.Fatalf("resume after sign-out: %v", err)
	}
	// The revoked refresh token is dead at the server too.
	if err := resumed.Refresh(ctx); CodeOf(err) != CodeSessionExpired {
		t.Fatalf("refresh with a revoked token: %v", err)
	}
	if _, err := sess.Tokens(ctx); CodeOf(err) != CodeSessionExpired {
		t.Fatalf("tokens after sign-out: %v", err)
	}
}

func TestIdentityPoolCredentials(t *testing.T) {
	e := newEnv(t, alice())
	c := e.client(t)
	ctx := context.Background()
	sess := signedIn(t, e, c, nil)
	p, err := sess.Credentials()
	if err != nil {
		t.Fatal(err)
	}
	creds, err := p.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if creds.AccessKeyID != "AKIDSTANDIN" || creds.SecretAccessKey != "standin-secret-key" || creds.SessionToken == "" || !creds.CanExpire {
		t.Fatalf("credentials = %+v", creds)
	}
	if _, err := p.Retrieve(ctx); err != nil {
		t.Fatal(err)
	}
	if n := e.std.Calls("GetCredentialsForIdentity"); n != 1 {
		t.Fatalf("credentials fetched %d times; the cache should hold them", n)
	}
	if n := e.std.Calls("GetId"); n != 1 {
		t.Fatalf("GetId called %d times", n)
	}
	cfg, err := AWSConfig(ctx, SourceCognito, "eu-west-1", "", sess)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := cfg.Credentials.Retrieve(ctx); err != nil || got.AccessKeyID != "AKIDSTANDIN" {
		t.Fatalf("AWSConfig credentials: %+v %v", got, err)
	}
	// Without an identity pool there are no S3 credentials, said plainly.
	c2 := e.client(t, func(cfg *Config) { cfg.IdentityPoolID = "" })
	if _, err := signedIn(t, e, c2, nil).Credentials(); CodeOf(err) != CodeSetup {
		t.Fatalf("no identity pool: %v", err)
	}
}

func TestAWSChainCredentials(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDFROMENV")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	cfg, err := AWSConfig(context.Background(), SourceAWSChain, "us-east-2", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil || got.AccessKeyID != "AKIDFROMENV" || cfg.Region != "us-east-2" {
		t.Fatalf("chain credentials = %+v, region %q, err %v", got, cfg.Region, err)
	}
	if _, err := AWSConfig(context.Background(), SourceCognito, "us-east-2", "", nil); err == nil {
		t.Fatal("cognito source without a session should fail")
	}
}

func TestImportRuntimeConfig(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     settings.AWSSettings
		wantErr  bool
	}{
		{"full", `{"AWS_REGION":"eu-west-1","USER_POOL_ID":"eu-west-1_Abc","USER_POOL_CLIENT_ID":"cid","IDENTITY_POOL_ID":"eu-west-1:x","DATA_BUCKET_NAME":"data","API_ENDPOINT":"https://x"}`,
			settings.AWSSettings{CredentialSource: "cognito", Region: "eu-west-1", UserPoolID: "eu-west-1_Abc", AppClientID: "cid", IdentityPoolID: "eu-west-1:x", Bucket: "data", Prefix: "keep/"}, false},
		{"partial keeps the rest", `{"DATA_BUCKET_NAME":"other"}`,
			settings.AWSSettings{CredentialSource: "cognito", Region: "old", Bucket: "other", Prefix: "keep/"}, false},
		{"nothing known", `{"FOO":"bar"}`, settings.AWSSettings{}, true},
		{"not json", `AWS_REGION=eu-west-1`, settings.AWSSettings{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := settings.AWSSettings{CredentialSource: "aws-chain", Region: "old", Prefix: "keep/"}
			err := ImportRuntimeConfig([]byte(tc.in), &got)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v", err)
			}
			if !tc.wantErr && got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestNothingSecretInSettingsFile signs in with remember-me and a client
// secret, saves the settings the way the app does, and checks that no
// token, secret or password reached the settings file.
func TestNothingSecretInSettingsFile(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("AUDIENCE_UPLOADER_CONFIG_DIR", dir)
	e := newEnv(t, alice())
	c := e.client(t, func(cfg *Config) { cfg.ClientID, cfg.ClientSecret = secretClient, clientSecret })
	store := secrets.Memory()
	if err := store.Set(ClientSecretKey(secretClient), clientSecret); err != nil {
		t.Fatal(err)
	}
	sess := signedIn(t, e, c, store)
	tok, err := sess.Tokens(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	s := settings.Default()
	if err := ImportRuntimeConfig([]byte(`{"AWS_REGION":"eu-west-1","USER_POOL_ID":"`+testPool+`","USER_POOL_CLIENT_ID":"`+secretClient+`","IDENTITY_POOL_ID":"`+testIdentity+`","DATA_BUCKET_NAME":"data"}`), &s.AWS); err != nil {
		t.Fatal(err)
	}
	if err := settings.Save(s); err != nil {
		t.Fatal(err)
	}
	var found bool
	err = filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		found = true
		for name, secret := range map[string]string{"client secret": clientSecret, "refresh token": tok.RefreshToken,
			"id token": tok.IDToken, "access token": tok.AccessToken, "password": goodPassword} {
			if strings.Contains(string(data), secret) {
				t.Errorf("%s found in %s", name, p)
			}
		}
		return nil
	})
	if err != nil || !found {
		t.Fatalf("no settings file written (err %v)", err)
	}
}

// TestKeychainRemember runs against the real OS keychain (gnome-keyring
// under dbus-run-session in CI: see mk/auth.mk).
func TestKeychainRemember(t *testing.T) {
	if os.Getenv("AUDIENCE_UPLOADER_KEYCHAIN_TEST") != "1" {
		t.Skip("set AUDIENCE_UPLOADER_KEYCHAIN_TEST=1 to test against the OS keychain (make test-auth does, under dbus-run-session)")
	}
	if err := secrets.Probe(); err != nil {
		t.Fatalf("keychain test requested but no keychain: %v", err)
	}
	e := newEnv(t, alice())
	c := e.client(t)
	ctx := context.Background()
	store := secrets.Keychain()
	sess := signedIn(t, e, c, store)
	resumed, err := c.Resume(ctx, store)
	if err != nil {
		t.Fatal(err)
	}
	if u, _ := resumed.User(); u != alice().Username {
		t.Fatalf("resumed user = %q", u)
	}
	if err := sess.SignOut(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Resume(ctx, store); !errors.Is(err, secrets.ErrNotFound) {
		t.Fatalf("resume after sign-out: %v", err)
	}
}

// TestIdentityCredentialsRenewedBeforeExpiry: credentials that expire within
// CredentialsExpiryWindow are fetched again rather than used.
func TestIdentityCredentialsRenewedBeforeExpiry(t *testing.T) {
	for _, tc := range []struct {
		ttl       time.Duration
		wantCalls int
	}{
		{time.Hour, 1},
		{CredentialsExpiryWindow - time.Minute, 3},
	} {
		t.Run(tc.ttl.String(), func(t *testing.T) {
			clk := &clock{t: time.Now()}
			std := cognitostandin.New(cognitostandin.Config{
				Region: "eu-west-1", UserPoolID: testPool, IdentityPoolID: testIdentity,
				Clients: map[string]string{testClient: ""}, AccessKeyID: "AKID", SecretAccessKey: "s",
				CredentialsTTL: tc.ttl, Now: clk.Now,
			})
			if err := std.AddUser(alice()); err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(std)
			defer srv.Close()
			e := &env{std: std, url: srv.URL, clock: clk}
			p, err := signedIn(t, e, e.client(t), nil).Credentials()
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 3; i++ {
				if _, err := p.Retrieve(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			if got := std.Calls("GetCredentialsForIdentity"); got != tc.wantCalls {
				t.Fatalf("credentials valid for %s fetched %d times for 3 uses, want %d", tc.ttl, got, tc.wantCalls)
			}
		})
	}
}
