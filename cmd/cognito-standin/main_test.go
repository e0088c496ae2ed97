package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/auth"
	"github.com/audience-uploader/audience-uploader/cmd/internal/selfexec"
)

func TestMain(m *testing.M) { selfexec.Main(m, "cognito-standin", main) }

func TestUserFlag(t *testing.T) {
	t.Setenv("DEMO_PASSWORD", "Demo-Pass-1!")
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte("File-Pass-1!\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		in      string
		wantErr bool
	}{
		{"username=demo,password-env=DEMO_PASSWORD,email=demo@example.com", false},
		{"username=u,password-file=" + pwFile + ",status=FORCE_CHANGE_PASSWORD,required=name;family_name,mfa-setup=true", false},
		{"username=demo", true},
		{"username=u,password-env=NOT_SET_ANYWHERE", true},
		{"username=u,password-env=DEMO_PASSWORD,colour=blue", true},
		{"username=u,password-env=DEMO_PASSWORD,mfa-setup=maybe", true},
	} {
		var u userFlags
		err := u.Set(tc.in)
		if (err != nil) != tc.wantErr {
			t.Errorf("Set(%q): err = %v", tc.in, err)
		}
	}
	var u userFlags
	if err := u.Set("username=u,password-file=" + pwFile + ",required=name;family_name,mfa-setup=true"); err != nil {
		t.Fatal(err)
	}
	if got := u.users[0]; len(got.RequiredAttributes) != 2 || !got.MFASetupRequired || got.Password != "File-Pass-1!" {
		t.Fatalf("parsed %+v", got)
	}
}

// TestRefusesSecretsOnCommandLine: a password, client secret or S3 secret
// key in argv is readable by every user (ps): the stand-in stops, says where
// the secret goes instead, and never repeats it.
func TestRefusesSecretsOnCommandLine(t *testing.T) {
	const secret = "Argv-Secret-Pa55"
	for _, args := range []string{
		"--user username=u,password=" + secret,
		"--client-secret " + secret,
		"--s3-secret-key " + secret,
	} {
		out, err := selfexec.Command(args + " --addr 127.0.0.1:99999").CombinedOutput() // fails fast, were the flag accepted
		if err == nil || !strings.Contains(string(out), "visible to every user") || strings.Contains(string(out), secret) {
			t.Errorf("%s: err %v, output %s", args, err, out)
		}
	}
}

// TestRefusesNonLoopback: like the TikTok stand-in, it listens on loopback only.
func TestRefusesNonLoopback(t *testing.T) {
	// Port 99999 cannot be listened on: a stand-in that skipped the check
	// fails fast instead of serving.
	for _, addr := range []string{"10.0.0.1:99999", "0.0.0.0:99999", "[::]:99999", ":99999", "example.com:99999"} {
		out, err := selfexec.Command("--addr " + addr).CombinedOutput()
		if err == nil || !strings.Contains(string(out), "not a loopback address") {
			t.Errorf("--addr %s: err %v, output %s", addr, err, out)
		}
	}
}

// TestSignInWithSecretsFromEnvironment starts the command with the user's
// password and the app client secret in environment variables and signs in
// over HTTP with the app's own client (SRP and the secret hash).
func TestSignInWithSecretsFromEnvironment(t *testing.T) {
	cmd := selfexec.Command("--print-env --client-id env-client --user username=env-user,password-env=STANDIN_TEST_PASSWORD,email=env@example.com",
		"STANDIN_TEST_PASSWORD=Env-Pass-1!", "COGNITO_STANDIN_CLIENT_SECRET=env-client-secret")
	line := selfexec.Start(t, cmd)
	_, url, _ := strings.Cut(line, "=")
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("printed %q", line)
	}
	ctx := context.Background()
	c, err := auth.NewClient(ctx, auth.Config{Region: "us-east-1", UserPoolID: "us-east-1_Demo", ClientID: "env-client",
		ClientSecret: "env-client-secret", UserPoolEndpoint: url, IdentityEndpoint: url, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	in, err := c.StartSignIn(ctx, "env@example.com", "Env-Pass-1!", nil)
	if err != nil || !in.Done() {
		t.Fatalf("sign-in: %v", err)
	}
}
