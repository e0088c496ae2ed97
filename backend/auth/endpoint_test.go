package auth

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/secureurl/securetest"
)

// isolateAWSConfig keeps the machine's ~/.aws files, profile, CA bundle and
// endpoint variables out of a test; configFile, if not "", becomes the shared config file.
func isolateAWSConfig(t *testing.T, configFile string) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "none")
	if configFile != "" {
		path = filepath.Join(dir, "config")
		if err := os.WriteFile(path, []byte(configFile), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("AWS_CONFIG_FILE", path)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "none"))
	for _, v := range []string{"AWS_PROFILE", "AWS_CA_BUNDLE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
		"AWS_ENDPOINT_URL_COGNITO_IDENTITY", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"} {
		t.Setenv(v, "")
		os.Unsetenv(v)
	}
}

// Every dial of the client goes to the loopback stand-in and is recorded: a
// request to example.invalid that was not refused would reach the stand-in
// and succeed, so the test would see it.
func TestCognitoUserPoolRefusesPlainHTTPEndpoint(t *testing.T) {
	const insecure = "http://cognito-idp.example.invalid"
	for _, tc := range []struct {
		name, configFile, env string
		setting               string
	}{
		{name: "endpoint setting", setting: insecure},
		{name: "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", env: "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER"},
		{name: "AWS_ENDPOINT_URL", env: "AWS_ENDPOINT_URL"},
		{name: "endpoint_url in the AWS config file", configFile: "[default]\nendpoint_url = " + insecure + "\n"},
		{name: "services section of the AWS config file",
			configFile: "[default]\nservices = local\n\n[services local]\ncognito_identity_provider =\n  endpoint_url = " + insecure + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			isolateAWSConfig(t, tc.configFile)
			if tc.env != "" {
				t.Setenv(tc.env, insecure)
			}
			e := newEnv(t, alice())
			log := &securetest.DialLog{Target: strings.TrimPrefix(e.url, "http://")}
			c := e.client(t, func(cfg *Config) {
				cfg.UserPoolEndpoint, cfg.HTTPClient = tc.setting, log.Client()
			})
			_, err := c.StartSignIn(context.Background(), "alice@example.com", goodPassword, nil)
			if CodeOf(err) != CodeInsecureEndpoint {
				t.Fatalf("sign-in over plain http to example.invalid: want %s, got %v", CodeInsecureEndpoint, err)
			}
			for _, want := range []string{insecure, "https://"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
			if n := len(log.Asked()); n != 0 || e.std.Calls("InitiateAuth") != 0 {
				t.Fatalf("a connection was made (%d dials, %d InitiateAuth calls)", n, e.std.Calls("InitiateAuth"))
			}
		})
	}
}

func TestCognitoIdentityPoolRefusesPlainHTTPEndpoint(t *testing.T) {
	isolateAWSConfig(t, "")
	t.Setenv("AWS_ENDPOINT_URL_COGNITO_IDENTITY", "http://cognito-identity.example.invalid:8080")
	e := newEnv(t, alice())
	log := &securetest.DialLog{Target: strings.TrimPrefix(e.url, "http://")}
	// The user pool endpoint is the loopback stand-in: sign-in works there.
	c := e.client(t, func(cfg *Config) { cfg.IdentityEndpoint, cfg.HTTPClient = "", log.Client() })
	sess := signedIn(t, e, c, nil)
	if !log.Dialed("127.0.0.1") {
		t.Fatalf("sign-in did not go to the loopback stand-in: dials %v", log.Asked())
	}
	p, err := sess.Credentials()
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Retrieve(context.Background())
	if CodeOf(err) != CodeInsecureEndpoint || !strings.Contains(err.Error(), "http://cognito-identity.example.invalid:8080") {
		t.Fatalf("identity pool over plain http to example.invalid: want %s naming the endpoint, got %v", CodeInsecureEndpoint, err)
	}
	if log.Dialed("cognito-identity.example.invalid") || e.std.Calls("GetId") != 0 || e.std.Calls("GetCredentialsForIdentity") != 0 {
		t.Fatalf("the ID token was sent: dials %v, GetId %d", log.Asked(), e.std.Calls("GetId"))
	}
}

// Loopback plain http stays allowed for both clients, endpoint variables
// included (the stand-ins in tests and the demo).
func TestCognitoLoopbackHTTPEndpointWorks(t *testing.T) {
	isolateAWSConfig(t, "")
	e := newEnv(t, alice())
	t.Setenv("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", strings.Replace(e.url, "127.0.0.1", "localhost", 1))
	t.Setenv("AWS_ENDPOINT_URL_COGNITO_IDENTITY", e.url)
	c := e.client(t, func(cfg *Config) { cfg.UserPoolEndpoint, cfg.IdentityEndpoint = "", "" })
	p, err := signedIn(t, e, c, nil).Credentials()
	if err != nil {
		t.Fatal(err)
	}
	if creds, err := p.Retrieve(context.Background()); err != nil || creds.AccessKeyID != "AKIDSTANDIN" {
		t.Fatalf("credentials over loopback http: %+v %v", creds, err)
	}
}
