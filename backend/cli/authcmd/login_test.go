package authcmd

import (
	"bytes"
	"context"
	"io"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/audience-uploader/audience-uploader/backend/auth/cognitostandin"
	"github.com/audience-uploader/audience-uploader/backend/secrets"
)

// TestLoginOnTerminal: without --password-stdin the password is read with
// echo off, codes are prompted for, and a wrong code is asked for again.
// Pool settings come from flags here (no settings file).
func TestLoginOnTerminal(t *testing.T) {
	const totpSecret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	std := cognitostandin.New(cognitostandin.Config{Region: "us-east-1", UserPoolID: pool, Clients: map[string]string{clientID: ""}})
	if err := std.AddUser(cognitostandin.User{Username: "u-2", Email: "bob@example.com", Password: "Bobs-Pass-1!", TOTPSecret: totpSecret}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(std)
	defer srv.Close()
	t.Setenv("AUDIENCE_UPLOADER_CONFIG_DIR", t.TempDir())
	t.Setenv("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", srv.URL)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))

	store := secrets.Memory()
	var prompts []string
	d := deps{
		store: func() (secrets.Store, bool) { return store, false },
		readSecret: func(prompt string, _ io.Writer) (string, error) {
			prompts = append(prompts, prompt)
			return "Bobs-Pass-1!", nil
		},
	}
	code, err := cognitostandin.TOTP(totpSecret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	root := &cobra.Command{Use: "audience-uploader", SilenceUsage: true, SilenceErrors: true}
	root.AddCommand(d.commands()...)
	var out, errb bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errb)
	root.SetIn(strings.NewReader(wrong + "\n" + code + "\n"))
	root.SetArgs([]string{"login", "--username", "bob@example.com", "--region", "us-east-1", "--user-pool-id", pool, "--client-id", clientID})
	if err := root.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("login: %v (stderr %q)", err, errb.String())
	}
	if len(prompts) != 1 || prompts[0] != "Password: " {
		t.Fatalf("secret prompts = %q", prompts)
	}
	if !strings.Contains(out.String(), "Signed in as bob@example.com.") {
		t.Fatalf("stdout %q", out.String())
	}
	stderr := errb.String()
	if strings.Count(stderr, "Code from your authenticator app: ") != 2 || !strings.Contains(stderr, "The code is not correct") {
		t.Fatalf("a wrong code should be asked for again; stderr %q", stderr)
	}
	if !strings.Contains(stderr, "No OS keychain is available") {
		t.Fatalf("memory-only sign-in not explained: %q", stderr)
	}
	if _, err := store.Get("cognito." + clientID + ".refresh_token"); err == nil {
		t.Fatal("without a keychain nothing may be remembered")
	}
}
