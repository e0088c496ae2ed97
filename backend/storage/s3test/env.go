package s3test

import (
	"os"
	"path/filepath"
	"testing"
)

// UseAWSChain points the AWS SDK's standard credential chain and S3
// endpoint at this server for the rest of t: its root user's keys in the
// environment, no shared config or credentials file, no instance metadata,
// no profile or session token from the machine running the tests. What the
// CLI and the app read with credential_source aws-chain.
func (s *Server) UseAWSChain(t testing.TB) {
	t.Setenv("AWS_ENDPOINT_URL_S3", s.Endpoint)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_ACCESS_KEY_ID", AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", SecretKey)
	for _, k := range []string{"AWS_SESSION_TOKEN", "AWS_PROFILE"} {
		t.Setenv(k, "") // restored after t
		os.Unsetenv(k)
	}
}
