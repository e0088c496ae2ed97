package cloud

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/appsvc"
	"github.com/audience-uploader/audience-uploader/backend/auth"
	"github.com/audience-uploader/audience-uploader/backend/cleanrooms"
	"github.com/audience-uploader/audience-uploader/backend/cleanrooms/standin"
	"github.com/audience-uploader/audience-uploader/backend/inputs"
	"github.com/audience-uploader/audience-uploader/backend/jobs"
	"github.com/audience-uploader/audience-uploader/backend/secrets"
	"github.com/audience-uploader/audience-uploader/backend/settings"
	"github.com/audience-uploader/audience-uploader/backend/storage"
	"github.com/audience-uploader/audience-uploader/backend/storage/s3test"
)

// TestCleanRoomsRunNamesCollaborationAndQuery: a result picked in the Clean
// Rooms tab is opened as cleanrooms://MEMBERSHIP/QUERY (Step 1, discovery,
// run), and the run's history entry and report name the collaboration and
// the protected query (ids and names) besides the S3 prefix read, never a
// row of data.
func TestCleanRoomsRunNamesCollaborationAndQuery(t *testing.T) {
	srv, _ := env(t)
	srv.Bucket(t, "cr-results")
	srv.Put(t, "cr-results", "retail/q-done/part-00000-ab12-c000.csv", []byte("customer_id,email\n1,a@example.com\n2,b@example.com\n"))
	srv.Put(t, "cr-results", "retail/q-done/part-00001-ab12-c000.csv", []byte("customer_id,email\n3,c@example.com\n"))
	t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	out := &standin.S3Output{Bucket: "cr-results", KeyPrefix: "retail", Format: "CSV"}
	std := standin.New(standin.Options{AccessKeyID: s3test.AccessKey,
		Memberships: []standin.Membership{{ID: "m-recv", CollaborationID: "c-retail", CollaborationName: "Retail x Media",
			Abilities: []string{"CAN_QUERY", "CAN_RECEIVE_RESULTS"}, Created: t0}},
		Queries: []standin.Query{{ID: "q-done", MembershipID: "m-recv", Status: "SUCCESS", Created: t0, S3: out,
			Location: "s3://cr-results/retail/q-done/"}}})
	hs := httptest.NewServer(std)
	t.Cleanup(hs.Close)
	t.Setenv(cleanrooms.EnvEndpoint, hs.URL)
	t.Setenv("AWS_ACCESS_KEY_ID", s3test.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", s3test.SecretKey)
	t.Setenv("AUDIENCE_UPLOADER_CONFIG_DIR", t.TempDir())
	set := settings.Default()
	set.AWS = settings.AWSSettings{CredentialSource: auth.SourceAWSChain, Region: "us-east-1"}
	set.OutputDir = t.TempDir()
	if err := settings.Save(set); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	svc := New(auth.NewServiceWith(secrets.Memory(), true, settings.Load), settings.Load, storage.Options{})
	done := make(doneEvents, 1)
	app := appsvc.New(ctx, done, appsvc.Options{HistoryPath: filepath.Join(t.TempDir(), "h.db"), Remote: svc, Sources: inputs.NewResolver(svc.Openers(ctx))})
	defer app.Shutdown()

	const input = "cleanrooms://m-recv/q-done"
	info, err := app.InspectFile(input)
	if err != nil || info.Parts != 2 || info.Name != input {
		t.Fatalf("Step 1 on %s: %+v, %v", input, info, err)
	}
	if sc, err := app.Discover(input, "US"); err != nil || sc.Records != 3 {
		t.Fatalf("discover: %+v, %v", sc, err)
	}
	run, err := app.StartRun(appsvc.RunRequest{Path: input, Audience: "Retail lift", Region: "US",
		Mappings: []appsvc.Mapping{{Column: "email", Type: "email"}}})
	if err != nil || run.Input != input {
		t.Fatalf("start run: %+v, %v", run, err)
	}
	select {
	case d := <-done:
		if d.Status != jobs.StatusSucceeded || d.Manifest.Counters.RowsWritten != 3 {
			t.Fatalf("run: %+v", d)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the run from Clean Rooms did not finish")
	}

	want := jobs.Origin{Kind: "cleanrooms", CollaborationID: "c-retail", CollaborationName: "Retail x Media", MembershipID: "m-recv",
		QueryID: "q-done", ResultURL: "s3://cr-results/retail/q-done/"}
	hist, err := app.History(0)
	if err != nil || len(hist) != 1 || hist[0].Input != input || hist[0].Origin == nil || *hist[0].Origin != want {
		t.Fatalf("history: %+v, %v; want input %s and origin %+v", hist, err, input, want)
	}
	rep, err := app.BuildReport(hist[0].ID)
	if err != nil || rep.Job.Origin == nil || *rep.Job.Origin != want {
		t.Fatalf("report: %+v, %v", rep.Job, err)
	}
	b, _ := json.Marshal(rep)
	for _, s := range []string{`"collaboration_name":"Retail x Media"`, `"query_id":"q-done"`} {
		if !strings.Contains(string(b), s) {
			t.Errorf("the report lacks %s: %s", s, b)
		}
	}
	if strings.Contains(string(b), "example.com") {
		t.Errorf("the report holds a customer's data: %s", b)
	}
}

// TestAWSReadyWithoutBucket: the Clean Rooms tab needs AWS credentials, not
// a data bucket, so the status says AWS is ready with the AWS chain and no
// bucket while S3 is not.
func TestAWSReadyWithoutBucket(t *testing.T) {
	t.Setenv("AUDIENCE_UPLOADER_CONFIG_DIR", t.TempDir())
	set := settings.Default()
	set.AWS = settings.AWSSettings{CredentialSource: auth.SourceAWSChain, Region: "us-east-1"}
	if err := settings.Save(set); err != nil {
		t.Fatal(err)
	}
	svc := New(auth.NewServiceWith(secrets.Memory(), true, settings.Load), settings.Load, storage.Options{})
	if st := svc.Status(); !st.AWSReady || st.S3Ready {
		t.Fatalf("AWS chain without a bucket: %+v; want AWS ready and S3 not", st)
	}
	set.AWS = settings.AWSSettings{CredentialSource: auth.SourceCognito, Region: "us-east-1", UserPoolID: "us-east-1_X", AppClientID: "c",
		IdentityPoolID: "us-east-1:x", Bucket: "data"}
	if err := settings.Save(set); err != nil {
		t.Fatal(err)
	}
	if st := svc.Status(); st.AWSReady || st.S3Ready {
		t.Fatalf("Cognito, not signed in: %+v; want neither ready", st)
	}
}
