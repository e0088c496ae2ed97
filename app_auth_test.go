package main

import (
	"log"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/appsvc"
	"github.com/audience-uploader/audience-uploader/backend/auth"
	"github.com/audience-uploader/audience-uploader/backend/auth/cognitostandin"
	"github.com/audience-uploader/audience-uploader/backend/inputs"
	"github.com/audience-uploader/audience-uploader/backend/settings"
	"github.com/audience-uploader/audience-uploader/backend/storage/s3test"
)

// The frontend's api/auth.ts calls exactly these.
var authBoundMethods = []string{"AnswerChallenge", "CancelSignIn", "CloudStatus", "HasClientSecret", "ImportRuntimeConfig",
	"RestoreSession", "S3List", "S3Search", "SetClientSecret", "SignIn", "SignOut"}

// TestAuthBindings drives app_auth.go's methods as the window does: the
// Cognito stand-in and versitygw behind the SDK's endpoint variables, a
// sign-in with a one-time code, an S3 listing, and a pick that appsvc opens.
func TestAuthBindings(t *testing.T) {
	srv := s3test.Start(t)
	srv.Bucket(t, "demo")
	srv.Put(t, "demo", "in/customers.csv", []byte("email\nJane.Doe@Example.com\n"))
	const totpSecret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	std := cognitostandin.New(cognitostandin.Config{
		Region: "us-east-1", UserPoolID: "us-east-1_App", IdentityPoolID: "us-east-1:app", Clients: map[string]string{"app": ""},
		AccessKeyID: s3test.AccessKey, SecretAccessKey: s3test.SecretKey, NoSessionToken: true,
	})
	if err := std.AddUser(cognitostandin.User{Username: "u-1", Email: "demo@example.com", Password: "Demo-Pass-1!", Phone: "+15555550123"}); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(std)
	defer hs.Close()
	t.Setenv("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", hs.URL)
	t.Setenv("AWS_ENDPOINT_URL_COGNITO_IDENTITY", hs.URL)
	t.Setenv("AWS_ENDPOINT_URL_S3", srv.Endpoint)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))

	a, _ := testApp(t)
	a.startCloud()
	// The settings file is what the bindings read; Remote as startup wires it.
	a.svc.Shutdown()
	a.svc = appsvc.New(a.ctx, recorder{}, appsvc.Options{HistoryPath: filepath.Join(t.TempDir(), "h.db"), Remote: a.cloud, Sources: inputs.NewResolver(a.cloud.Openers(a.ctx))})
	set := a.GetSettings()
	set.AWS = settings.AWSSettings{CredentialSource: "cognito", Region: "us-east-1", UserPoolID: "us-east-1_App", AppClientID: "app",
		IdentityPoolID: "us-east-1:app", Bucket: "demo"}
	if _, err := a.SaveSettings(set); err != nil {
		t.Fatal(err)
	}
	st, err := a.RestoreSession()
	if err != nil || !st.CognitoConfigured || st.S3Ready {
		t.Fatalf("restore: %+v %v", st, err)
	}
	if _, err := a.S3List("", ""); err == nil {
		t.Fatal("S3List signed out should fail")
	}
	as, err := a.SignIn("demo@example.com", "Demo-Pass-1!", false)
	if err != nil || as.Challenge == nil || as.Challenge.Name != auth.ChallengeSMS {
		t.Fatalf("sign-in: %+v %v", as, err)
	}
	if as, err = a.AnswerChallenge(auth.Answer{Code: std.LastSMSCode("u-1")}); err != nil || !as.SignedIn {
		t.Fatalf("code: %+v %v", as, err)
	}
	p, err := a.S3List("", "")
	if err != nil || len(p.Entries) != 1 || p.Entries[0].Key != "in/" {
		t.Fatalf("list: %+v %v", p, err)
	}
	if p, err = a.S3Search("", "cust", ""); err != nil || len(p.Entries) != 1 {
		t.Fatalf("search: %+v %v", p, err)
	}
	if info, err := a.InspectFile("s3://demo/in/customers.csv"); err != nil || info.Size == 0 {
		t.Fatalf("inspect: %+v %v", info, err)
	}
	if sc, err := a.Discover("s3://demo/in/customers.csv", "US"); err != nil || len(sc.Fields) != 1 {
		t.Fatalf("discover: %+v %v", sc, err)
	}
	if err := a.SetClientSecret("app", "s3cr3t"); err != nil || !a.HasClientSecret("app") {
		t.Fatalf("client secret: %v", err)
	}
	if err := a.SetClientSecret("app", ""); err != nil || a.HasClientSecret("app") {
		t.Fatalf("removing the client secret: %v", err)
	}
	if st, err := a.SignOut(); err != nil || st.SignedIn {
		t.Fatalf("sign-out: %+v %v", st, err)
	}
	if st := a.CloudStatus(); st.S3Ready || !strings.Contains(st.Reason, "Sign in") {
		t.Fatalf("after sign-out: %+v", st)
	}
	if st := a.CancelSignIn(); st.Challenge != nil {
		t.Fatalf("cancel: %+v", st)
	}
}

// TestBoundPanicKeepsSecrets makes the bound methods that are given secrets
// panic (no sign-in service: a nil dereference) and checks that each panic
// becomes an error naming the method, and that neither the error nor the
// app's log holds what the method was given.
func TestBoundPanicKeepsSecrets(t *testing.T) {
	const secret = "Typed-Secret-Pa55"
	a, _ := testApp(t)
	var logged strings.Builder
	a.log = log.New(&logged, "", 0)
	a.cloud = nil // startCloud not run: every sign-in call dereferences nil
	calls := map[string]func() error{
		"SignIn":          func() error { _, err := a.SignIn("someone@example.com", secret, true); return err },
		"AnswerChallenge": func() error { _, err := a.AnswerChallenge(auth.Answer{NewPassword: secret}); return err },
		"SetClientSecret": func() error { return a.SetClientSecret("client", secret) },
	}
	for method, call := range calls {
		err := call()
		if err == nil || !strings.Contains(err.Error(), method+" stopped on an internal error") || strings.Contains(err.Error(), secret) {
			t.Errorf("%s: %v", method, err)
		}
		if !strings.Contains(logged.String(), method+" stopped on an internal error (runtime error: invalid memory address") {
			t.Errorf("%s: the log does not report the panic:\n%s", method, logged.String())
		}
	}
	if strings.Contains(logged.String(), secret) {
		t.Fatalf("the secret reached the log:\n%s", logged.String())
	}
}
