package authcmd

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/auth"
	"github.com/audience-uploader/audience-uploader/backend/auth/cognitostandin"
	"github.com/audience-uploader/audience-uploader/backend/settings"
)

// TestSetClientSecret: against an app client with a secret, login fails
// until `aws set-client-secret` has put the secret in the keychain, works
// after, and --delete takes it out again.
func TestSetClientSecret(t *testing.T) {
	const secretClient, secret = "secret-client", "s3cr3t-Value-0123456789"
	std := cognitostandin.New(cognitostandin.Config{Region: "us-east-1", UserPoolID: pool, Clients: map[string]string{secretClient: secret}})
	if err := std.AddUser(cognitostandin.User{Username: "u-2", Email: "bob@example.com", Password: "Bob-Pass-1!", Status: cognitostandin.StatusConfirmed}); err != nil {
		t.Fatal(err)
	}
	cog := httptest.NewServer(std)
	defer cog.Close()
	t.Setenv("AUDIENCE_UPLOADER_CONFIG_DIR", t.TempDir())
	t.Setenv("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", cog.URL)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	for _, k := range []string{EnvClientSecret, EnvClientID} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	key := auth.ClientSecretKey(secretClient)
	testStore.Delete(key)

	expect := func(wantCode int, want, stdin string, args ...string) {
		t.Helper()
		code, out, errs := run(t, stdin, args...)
		if code != wantCode || !strings.Contains(out+errs, want) {
			t.Fatalf("%v: exit %d, out %q, err %q; want exit %d with %q", args, code, out, errs, wantCode, want)
		}
		if strings.Contains(out+errs, secret) {
			t.Fatalf("%v printed the secret: %q %q", args, out, errs)
		}
	}
	expect(2, "no app client id is configured", secret+"\n", "aws", "set-client-secret")

	s := settings.Default()
	s.AWS = settings.AWSSettings{CredentialSource: "cognito", Region: "us-east-1", UserPoolID: pool, AppClientID: secretClient}
	if err := settings.Save(s); err != nil {
		t.Fatal(err)
	}
	login := []string{"login", "--username", "bob@example.com", "--password-stdin", "--no-remember"}
	expect(1, "aws set-client-secret", "Bob-Pass-1!\n", login...)
	expect(2, "the secret is empty", "\n", "aws", "set-client-secret")

	expect(0, "saved in the OS keychain", secret+"\n", "aws", "set-client-secret")
	if v, err := testStore.Get(key); err != nil || v != secret {
		t.Fatalf("keychain holds %q, %v", v, err)
	}
	expect(0, "Signed in as bob@example.com.", "Bob-Pass-1!\n", login...)

	expect(0, "no longer kept", "", "aws", "set-client-secret", "--delete")
	if _, err := testStore.Get(key); err == nil {
		t.Fatal("the secret is still in the keychain after --delete")
	}
	expect(1, "aws set-client-secret", "Bob-Pass-1!\n", login...)

	// --client-id names another client than the settings'.
	expect(0, "app client other-client is saved", "x\n", "aws", "set-client-secret", "--client-id", "other-client")
	if v, _ := testStore.Get(auth.ClientSecretKey("other-client")); v != "x" {
		t.Fatalf("other client's secret = %q", v)
	}
}
