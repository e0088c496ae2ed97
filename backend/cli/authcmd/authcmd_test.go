package authcmd

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/audience-uploader/audience-uploader/backend/auth/cognitostandin"
	"github.com/audience-uploader/audience-uploader/backend/cli"
	"github.com/audience-uploader/audience-uploader/backend/inputs"
	"github.com/audience-uploader/audience-uploader/backend/secrets"
	"github.com/audience-uploader/audience-uploader/backend/settings"
	"github.com/audience-uploader/audience-uploader/backend/storage/s3test"
	"github.com/audience-uploader/audience-uploader/backend/transform"
)

const (
	pool     = "us-east-1_CliPool"
	clientID = "cli-client"
	identity = "us-east-1:11111111-2222-3333-4444-555555555555"
)

// testStore keeps the tests' sessions in memory, across one test's commands.
var testStore = secrets.Memory()

func testDeps() deps {
	return deps{
		store: func() (secrets.Store, bool) { return testStore, true },
		readSecret: func(string, io.Writer) (string, error) {
			return "", fmt.Errorf("no terminal in tests")
		},
	}
}

// testRoot is the command tree with the test deps: these commands, the CLI's
// own and more (the upload commands), all reading --input through the test
// deps' s3:// and cleanrooms:// openers.
func testRoot(more func(*inputs.Resolver) []*cobra.Command) cli.RootFunc {
	return func(stdout, stderr io.Writer) *cobra.Command {
		d := testDeps()
		sources := inputs.NewResolver(d.openers())
		cmds := d.commands()
		if more != nil {
			cmds = append(cmds, more(sources)...)
		}
		return cli.NewRoot(stdout, stderr, sources, cmds...)
	}
}

func run(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	return runWith(t, nil, stdin, args...)
}

func runWith(t *testing.T, more func(*inputs.Resolver) []*cobra.Command, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	// Standard input reaches the commands through cobra's root.
	oldStdin := os.Stdin
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	go func() { io.WriteString(w, stdin); w.Close() }()
	os.Stdin = r
	defer func() { os.Stdin = oldStdin; r.Close() }()
	code := cli.Execute(context.Background(), testRoot(more), args, &out, &errb)
	return code, out.String(), errb.String()
}

func customersCSV() []byte {
	var b strings.Builder
	b.WriteString("id,email,name\n")
	for i := 0; i < 3000; i++ {
		switch {
		case i%97 == 0:
			fmt.Fprintf(&b, "%d,not-an-email,x\n", i)
		case i%10 == 0:
			fmt.Fprintf(&b, "%d,  Person%d@Example.COM ,dup\n", i, i-1) // a duplicate after normalizing
		default:
			fmt.Fprintf(&b, "%d,person%d@example.com,n%d\n", i, i, i)
		}
	}
	return []byte(b.String())
}

// TestCLIEndToEnd signs in against the Cognito stand-in (new password,
// required attribute, authenticator code), lists the bucket in versitygw
// with identity-pool credentials, transforms an object from S3 and checks
// the result equals the same transform from disk, then signs out.
func TestCLIEndToEnd(t *testing.T) {
	s3srv := s3test.Start(t)
	s3srv.Bucket(t, "data")
	csv := customersCSV()
	s3srv.Put(t, "data", "lists/customers.csv", csv)
	s3srv.Put(t, "data", "top.csv", []byte("email\na@b.co\n"))

	const totpSecret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	std := cognitostandin.New(cognitostandin.Config{
		Region: "us-east-1", UserPoolID: pool, IdentityPoolID: identity, Clients: map[string]string{clientID: ""},
		AccessKeyID: s3test.AccessKey, SecretAccessKey: s3test.SecretKey, NoSessionToken: true,
	})
	if err := std.AddUser(cognitostandin.User{Username: "u-1", Email: "alice@example.com", Password: "Temp-Pass-1!",
		Status: cognitostandin.StatusForceChangePassword, RequiredAttributes: []string{"name"}, TOTPSecret: totpSecret}); err != nil {
		t.Fatal(err)
	}
	cog := httptest.NewServer(std)
	defer cog.Close()

	t.Setenv("AUDIENCE_UPLOADER_CONFIG_DIR", t.TempDir())
	t.Setenv("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", cog.URL)
	t.Setenv("AWS_ENDPOINT_URL_COGNITO_IDENTITY", cog.URL)
	t.Setenv("AWS_ENDPOINT_URL_S3", s3srv.Endpoint)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", EnvClientSecret} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	s := settings.Default()
	s.AWS = settings.AWSSettings{CredentialSource: "cognito", Region: "us-east-1", UserPoolID: pool, AppClientID: clientID,
		IdentityPoolID: identity, Bucket: "data"}
	if err := settings.Save(s); err != nil {
		t.Fatal(err)
	}

	expect := func(wantCode int, wantOut string, stdin string, args ...string) string {
		t.Helper()
		code, out, errs := run(t, stdin, args...)
		if code != wantCode || !strings.Contains(out+errs, wantOut) {
			t.Fatalf("%v: exit %d, out %q, err %q; want exit %d with %q", args, code, out, errs, wantCode, wantOut)
		}
		return out
	}
	expect(1, "not signed in", "", "whoami")
	expect(2, "--username is required", "", "login", "--password-stdin")
	expect(1, "The user name or password is incorrect.", "Wrong-Pass-1!\n", "login", "--username", "alice@example.com", "--password-stdin")
	code, err := cognitostandin.TOTP(totpSecret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	expect(0, "Signed in as alice@example.com.", "Temp-Pass-1!\nNew-Pass-2!\nAlice\n"+code+"\n",
		"login", "--username", "alice@example.com", "--password-stdin")
	expect(0, "Signed in as alice@example.com", "", "whoami")

	root := expect(0, "PRE lists/", "", "s3", "ls")
	if !strings.Contains(root, "top.csv") {
		t.Fatalf("s3 ls: %q", root)
	}
	lists := expect(0, fmt.Sprintf("%d customers.csv", len(csv)), "", "s3", "ls", "s3://data/lists/", "--page-size", "1")
	if strings.Contains(lists, "top.csv") {
		t.Fatalf("s3 ls lists/: %q", lists)
	}
	expect(2, "not an s3:// address", "", "s3", "ls", "data/lists")

	// The same transform from S3 and from disk gives the same files.
	local := filepath.Join(t.TempDir(), "customers.csv")
	if err := os.WriteFile(local, csv, 0o600); err != nil {
		t.Fatal(err)
	}
	outS3, outLocal := filepath.Join(t.TempDir(), "s3"), filepath.Join(t.TempDir(), "local")
	expect(0, "", "", "transform", "--input", "s3://data/lists/customers.csv", "--map", "email=email", "--out", outS3)
	expect(0, "", "", "transform", "--input", local, "--map", "email=email", "--out", outLocal)
	a, b := readManifest(t, outS3), readManifest(t, outLocal)
	if a.Input != "s3://data/lists/customers.csv" || a.Counters.RowsRead != 3000 || a.Counters.RowsRead != b.Counters.RowsRead ||
		a.Counters.RowsWritten != b.Counters.RowsWritten || len(a.Files) != len(b.Files) || len(a.Files) == 0 {
		t.Fatalf("manifests differ: s3 %+v\nlocal %+v", a.Counters, b.Counters)
	}
	for i := range a.Files {
		fa, _ := os.ReadFile(filepath.Join(outS3, a.Files[i].Path))
		fb, _ := os.ReadFile(filepath.Join(outLocal, b.Files[i].Path))
		if len(fa) == 0 || !bytes.Equal(fa, fb) || a.Files[i].MD5 != b.Files[i].MD5 {
			t.Fatalf("output %s differs between S3 and disk", a.Files[i].Path)
		}
	}

	expect(0, "Signed out.", "", "logout")
	expect(1, "not signed in", "", "whoami")
	expect(1, "not signed in", "", "s3", "ls")
}

func readManifest(t *testing.T, dir string) transform.Manifest {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m transform.Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}
