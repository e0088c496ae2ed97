package storage

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/audience-uploader/audience-uploader/backend/secureurl"
	"github.com/audience-uploader/audience-uploader/backend/secureurl/securetest"
	"github.com/audience-uploader/audience-uploader/backend/storage/s3test"
)

// chainConfig loads the AWS configuration as the app does for the AWS
// credential chain (environment credentials for versitygw's root user,
// endpoints from the environment or configFile), with every connection
// going through log to versitygw.
func chainConfig(t *testing.T, configFile string, log *securetest.DialLog) aws.Config {
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
	t.Setenv("AWS_ACCESS_KEY_ID", s3test.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", s3test.SecretKey)
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion(s3test.Region))
	if err != nil {
		t.Fatal(err)
	}
	cfg.HTTPClient = log.Client()
	return cfg
}

// clearAWSEnv keeps the machine's profile, CA bundle and endpoint
// variables out of a test.
func clearAWSEnv(t *testing.T) {
	for _, v := range []string{"AWS_PROFILE", "AWS_CA_BUNDLE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3",
		"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"} {
		t.Setenv(v, "")
		os.Unsetenv(v)
	}
}

// Every dial goes to versitygw and is recorded: a request to example.invalid
// that was not refused would reach versitygw, and the test would see it.
func TestS3RefusesPlainHTTPEndpoint(t *testing.T) {
	srv := s3test.Start(t)
	srv.Bucket(t, "data")
	srv.Put(t, "data", "list.csv", []byte("email\nalice@example.com\n"))
	const insecure = "http://s3.example.invalid"
	for _, tc := range []struct {
		name, option, env, configFile string
	}{
		{name: "endpoint option", option: insecure},
		{name: "AWS_ENDPOINT_URL_S3", env: "AWS_ENDPOINT_URL_S3"},
		{name: "AWS_ENDPOINT_URL", env: "AWS_ENDPOINT_URL"},
		{name: "endpoint_url in the AWS config file", configFile: "[default]\nendpoint_url = " + insecure + "\n"},
		{name: "services section of the AWS config file",
			configFile: "[default]\nservices = local\n\n[services local]\ns3 =\n  endpoint_url = " + insecure + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clearAWSEnv(t)
			if tc.env != "" {
				t.Setenv(tc.env, insecure)
			}
			log := &securetest.DialLog{Target: strings.TrimPrefix(srv.Endpoint, "http://")}
			c := New(chainConfig(t, tc.configFile, log), Options{Endpoint: tc.option})
			ctx := context.Background()
			_, listErr := c.List(ctx, "data", "", "", 0)
			_, statErr := c.Stat(ctx, "data", "list.csv")
			for _, err := range []error{listErr, statErr} {
				var refused *secureurl.RefusedError
				if !errors.As(err, &refused) {
					t.Fatalf("want the plain http endpoint refused, got %v", err)
				}
				for _, want := range []string{"s3.example.invalid", "https://", "AWS_ENDPOINT_URL_S3"} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q does not mention %q", err, want)
					}
				}
			}
			if len(log.Asked()) != 0 {
				t.Fatalf("connections were made: %v", log.Asked())
			}
		})
	}
}

// The stand-in S3 at 127.0.0.1 (or localhost) over plain http keeps working,
// from the option and from the endpoint variable alike.
func TestS3LoopbackHTTPEndpointWorks(t *testing.T) {
	srv := s3test.Start(t)
	srv.Bucket(t, "data")
	srv.Put(t, "data", "list.csv", []byte("email\nalice@example.com\n"))
	for _, tc := range []struct{ name, option, env string }{
		{name: "endpoint option", option: srv.Endpoint},
		{name: "AWS_ENDPOINT_URL_S3", env: strings.Replace(srv.Endpoint, "127.0.0.1", "localhost", 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clearAWSEnv(t)
			if tc.env != "" {
				t.Setenv("AWS_ENDPOINT_URL_S3", tc.env)
			}
			log := &securetest.DialLog{Target: strings.TrimPrefix(srv.Endpoint, "http://")}
			c := New(chainConfig(t, "", log), Options{Endpoint: tc.option})
			r, err := c.Open(context.Background(), "data", "list.csv")
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			buf := make([]byte, 64)
			n, _ := r.Read(buf)
			if string(buf[:n]) != "email\nalice@example.com\n" {
				t.Fatalf("read %q over loopback http", buf[:n])
			}
			if len(log.Asked()) == 0 {
				t.Fatal("the dial log saw no connection: the test is not observing the client")
			}
		})
	}
}
