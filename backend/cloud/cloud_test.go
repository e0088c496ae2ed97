package cloud

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/appsvc"
	"github.com/audience-uploader/audience-uploader/backend/auth"
	"github.com/audience-uploader/audience-uploader/backend/auth/cognitostandin"
	"github.com/audience-uploader/audience-uploader/backend/inputs"
	"github.com/audience-uploader/audience-uploader/backend/secrets"
	"github.com/audience-uploader/audience-uploader/backend/settings"
	"github.com/audience-uploader/audience-uploader/backend/storage"
	"github.com/audience-uploader/audience-uploader/backend/storage/s3test"
)

const (
	pool     = "us-east-1_Test"
	client   = "gui-client"
	identity = "us-east-1:11111111-2222-3333-4444-555555555555"
	password = "Temp-Pass-1!"
	newPass  = "Brand-New-Pass-2!"
)

// doneEvents passes run:done events to the test.
type doneEvents chan appsvc.DoneEvent

func (d doneEvents) Emit(name string, data any) {
	if e, ok := data.(appsvc.DoneEvent); ok {
		d <- e
	}
}

// env is versitygw with a bucket of customer lists and the Cognito stand-in
// handing out versitygw's keys, the endpoints set through the SDK's
// AWS_ENDPOINT_URL_* variables as the app gets them.
func env(t *testing.T) (*s3test.Server, *cognitostandin.Server) {
	t.Helper()
	srv := s3test.Start(t)
	srv.Bucket(t, "data")
	srv.Put(t, "data", "lists/customers.csv", []byte("customer_id,email,phone\n1,Jane.Doe@Example.com,(415) 555-0101\n2,sam@example.org,(415) 555-0102\n"))
	srv.Put(t, "data", "lists/2024/members.jsonl", []byte(`{"id":1,"email":"member1@example.com"}`+"\n"))
	srv.Put(t, "data", "readme.txt", []byte("hello"))
	std := cognitostandin.New(cognitostandin.Config{
		Region: "us-east-1", UserPoolID: pool, IdentityPoolID: identity, Clients: map[string]string{client: ""},
		AccessKeyID: s3test.AccessKey, SecretAccessKey: s3test.SecretKey, NoSessionToken: true,
	})
	if err := std.AddUser(cognitostandin.User{Username: "0000aaaa-1111", Email: "new@example.com", Password: password,
		Status: "FORCE_CHANGE_PASSWORD", RequiredAttributes: []string{"name"}}); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(std)
	t.Cleanup(hs.Close)
	t.Setenv("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", hs.URL)
	t.Setenv("AWS_ENDPOINT_URL_COGNITO_IDENTITY", hs.URL)
	t.Setenv("AWS_ENDPOINT_URL_S3", srv.Endpoint)
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	return srv, std
}

// TestSignInBrowseAndTransformFromS3 is the GUI's path end to end below the
// window: configure, sign in through a challenge, list, search, and run
// discovery and preview on an s3:// pick through appsvc.
func TestSignInBrowseAndTransformFromS3(t *testing.T) {
	env(t)
	t.Setenv("AUDIENCE_UPLOADER_CONFIG_DIR", t.TempDir())
	ctx := context.Background()
	svc := New(auth.NewServiceWith(secrets.Memory(), true, settings.Load), settings.Load, storage.Options{})

	// Nothing configured: offline only, and the reason says what to do.
	st := svc.Status()
	if st.CognitoConfigured || st.S3Ready || !strings.Contains(st.Reason, "Settings > AWS") {
		t.Fatalf("fresh status: %+v", st)
	}
	if _, err := svc.List(ctx, "", ""); err == nil {
		t.Fatal("listing without settings should fail")
	}

	// The settings a person saves after importing runtimeConfig.json.
	set := settings.Default()
	set.OutputDir = t.TempDir()
	aws, err := ImportRuntimeConfig([]byte(`{"AWS_REGION":"us-east-1","USER_POOL_ID":"`+pool+`","USER_POOL_CLIENT_ID":"`+client+
		`","IDENTITY_POOL_ID":"`+identity+`","DATA_BUCKET_NAME":"data"}`), set.AWS)
	if err != nil || aws.Bucket != "data" || aws.AppClientID != client || aws.CredentialSource != "cognito" {
		t.Fatalf("import: %+v %v", aws, err)
	}
	if _, err := ImportRuntimeConfig([]byte(`{"other":1}`), set.AWS); err == nil || !strings.Contains(err.Error(), "runtimeConfig.json") {
		t.Fatalf("import of an unrelated file: %v", err)
	}
	set.AWS = aws
	if err := settings.Save(set); err != nil {
		t.Fatal(err)
	}
	st, err = svc.Restore(ctx)
	if err != nil || !st.CognitoConfigured || st.S3Ready || st.Auth.SignedIn || st.Reason != "Sign in to browse the data bucket." {
		t.Fatalf("configured, signed out: %+v %v", st, err)
	}
	if _, err := svc.List(ctx, "", ""); err == nil || !strings.Contains(err.Error(), "sign in") {
		t.Fatalf("listing signed out: %v", err)
	}

	// Wrong password, then the temporary one and the new-password challenge.
	if _, err := svc.Auth.SignIn(ctx, "new@example.com", "nope", true); auth.CodeOf(err) != auth.CodeWrongCredentials {
		t.Fatalf("wrong password: %v", err)
	}
	as, err := svc.Auth.SignIn(ctx, "new@example.com", password, true)
	if err != nil || as.Challenge == nil || as.Challenge.Name != auth.ChallengeNewPassword || len(as.Challenge.RequiredAttributes) != 1 {
		t.Fatalf("sign-in: %+v %v", as, err)
	}
	if as, err = svc.Auth.Answer(ctx, auth.Answer{NewPassword: newPass, Attributes: map[string]string{"name": "New Person"}}); err != nil || !as.SignedIn {
		t.Fatalf("new password: %+v %v", as, err)
	}
	if st = svc.Status(); !st.S3Ready || st.Bucket != "data" || st.Auth.Email != "new@example.com" {
		t.Fatalf("signed in: %+v", st)
	}

	// Browse: the root has a folder and a file; the folder has a sub-folder.
	root, err := svc.List(ctx, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if got := names(root); got != "lists/ readme.txt" {
		t.Fatalf("root: %q", got)
	}
	lists, err := svc.List(ctx, "lists/", "")
	if err != nil || names(lists) != "2024/ customers.csv" || lists.Entries[1].Size == 0 || lists.Entries[1].LastModified.IsZero() {
		t.Fatalf("lists/: %+v %v", lists, err)
	}
	found, err := svc.Search(ctx, "", "MEM", "")
	if err != nil || names(found) != "members.jsonl" || found.Entries[0].Key != "lists/2024/members.jsonl" {
		t.Fatalf("search: %+v %v", found, err)
	}

	// A configured prefix is where browsing starts.
	set.AWS.Prefix = "lists"
	if err := settings.Save(set); err != nil {
		t.Fatal(err)
	}
	if p, err := svc.List(ctx, "", ""); err != nil || p.Prefix != "lists/" {
		t.Fatalf("prefix: %+v %v", p, err)
	}

	// The pick goes through appsvc like a local file.
	done := make(doneEvents, 1)
	app := appsvc.New(ctx, done, appsvc.Options{HistoryPath: filepath.Join(t.TempDir(), "h.db"), Remote: svc, Sources: inputs.NewResolver(svc.Openers(ctx))})
	defer app.Shutdown()
	url := "s3://data/lists/customers.csv"
	info, err := app.InspectFile(url)
	if err != nil || info.Path != url || info.Name != "customers.csv" || info.Size == 0 || info.EstimatedRows != 2 {
		t.Fatalf("inspect: %+v %v", info, err)
	}
	if len(app.RecentFiles()) != 0 {
		t.Fatal("an S3 pick must not be a recent file on this computer")
	}
	sc, err := app.Discover(url, "US")
	if err != nil || len(sc.Fields) != 3 || sc.Records != 2 {
		t.Fatalf("discover: %+v %v", sc, err)
	}
	pv, err := app.Preview(appsvc.PreviewRequest{Path: url, Mappings: []appsvc.Mapping{{Column: "email", Type: "email"}, {Column: "phone", Type: "phone"}}, Region: "US"})
	if err != nil || len(pv.Rows) != 2 || pv.Rows[0].Cells[0].Normalized != "jane.doe@example.com" {
		t.Fatalf("preview: %+v %v", pv, err)
	}
	// A run streams the object from S3 into the output folder.
	run, err := app.StartRun(appsvc.RunRequest{Path: url, Audience: "From S3", Region: "US",
		Mappings: []appsvc.Mapping{{Column: "email", Type: "email"}, {Column: "phone", Type: "phone"}}})
	if err != nil || run.Input != url {
		t.Fatalf("start run: %+v %v", run, err)
	}
	select {
	case d := <-done:
		if d.Status != "succeeded" || d.Manifest == nil || d.Manifest.Counters.RowsRead != 2 || d.Manifest.Counters.RowsWritten != 2 {
			t.Fatalf("run from S3: %+v", d)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the run from S3 did not finish")
	}
	if _, err := app.InspectFile("s3://data/lists/missing.csv"); err == nil {
		t.Fatal("a missing object should fail")
	}

	// Signing out closes S3 again.
	if _, err := svc.Auth.SignOut(ctx); err != nil {
		t.Fatal(err)
	}
	if st = svc.Status(); st.S3Ready || st.Auth.SignedIn {
		t.Fatalf("after sign-out: %+v", st)
	}
	if _, err := app.Discover(url, "US"); err == nil {
		t.Fatal("reading S3 after sign-out should fail")
	}
}

// TestAWSChain: with the standard credential chain there is no sign-in.
func TestAWSChain(t *testing.T) {
	env(t)
	t.Setenv("AUDIENCE_UPLOADER_CONFIG_DIR", t.TempDir())
	t.Setenv("AWS_ACCESS_KEY_ID", s3test.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", s3test.SecretKey)
	set := settings.Default()
	set.AWS = settings.AWSSettings{CredentialSource: "aws-chain", Region: "us-east-1", Bucket: "data"}
	if err := settings.Save(set); err != nil {
		t.Fatal(err)
	}
	svc := New(auth.NewServiceWith(secrets.Memory(), true, settings.Load), settings.Load, storage.Options{})
	if st := svc.Status(); !st.S3Ready || st.CognitoConfigured {
		t.Fatalf("status: %+v", st)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if p, err := svc.List(ctx, "", ""); err != nil || names(p) != "lists/ readme.txt" {
		t.Fatalf("list: %+v %v", p, err)
	}
}

func names(p *storage.Page) string {
	var out []string
	for _, e := range p.Entries {
		out = append(out, e.Name)
	}
	return strings.Join(out, " ")
}
