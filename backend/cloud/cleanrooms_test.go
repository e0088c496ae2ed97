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
	"github.com/audience-uploader/audience-uploader/backend/cleanrooms"
	"github.com/audience-uploader/audience-uploader/backend/cleanrooms/standin"
	"github.com/audience-uploader/audience-uploader/backend/inputs"
	"github.com/audience-uploader/audience-uploader/backend/secrets"
	"github.com/audience-uploader/audience-uploader/backend/settings"
	"github.com/audience-uploader/audience-uploader/backend/storage"
	"github.com/audience-uploader/audience-uploader/backend/storage/s3test"
)

// TestCleanRoomsTabToDiscovery is the Clean Rooms tab's path below the
// window with the AWS chain's credentials: memberships (with the note when
// none receives results), queries newest first with their details, a
// running query's sentence, and a finished one resolved to the s3:// prefix
// that Step 1 inspects and discovers as one list of parts.
func TestCleanRoomsTabToDiscovery(t *testing.T) {
	srv, _ := env(t)
	srv.Bucket(t, "cr-results")
	for i, part := range []string{"customer_id,email\n1,a@example.com\n2,b@example.com\n", "customer_id,email\n3,c@example.com\n"} {
		srv.Put(t, "cr-results", "retail/q-done/part-0000"+string(rune('0'+i))+"-ab12-c000.csv", []byte(part))
	}
	srv.Put(t, "cr-results", "retail/q-done/_SUCCESS", nil)
	t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	out := &standin.S3Output{Bucket: "cr-results", KeyPrefix: "retail", Format: "CSV"}
	std := standin.New(standin.Options{AccessKeyID: s3test.AccessKey, DefaultPageSize: 1,
		Memberships: []standin.Membership{
			{ID: "m-recv", CollaborationName: "Retail x Media", Abilities: []string{"CAN_QUERY", "CAN_RECEIVE_RESULTS"}, Created: t0},
			{ID: "m-norecv", CollaborationName: "Measurement", Abilities: []string{"CAN_QUERY"}, Created: t0},
		},
		Queries: []standin.Query{
			{ID: "q-running", MembershipID: "m-recv", Status: "STARTED", Created: t0.Add(2 * time.Hour), S3: out},
			{ID: "q-done", MembershipID: "m-recv", Status: "SUCCESS", Created: t0.Add(time.Hour), DurationMillis: 30000, S3: out,
				Location: "s3://cr-results/retail/q-done/"},
		}})
	hs := httptest.NewServer(std)
	t.Cleanup(hs.Close)
	t.Setenv(cleanrooms.EnvEndpoint, hs.URL)
	t.Setenv("AWS_ACCESS_KEY_ID", s3test.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", s3test.SecretKey)
	t.Setenv("AUDIENCE_UPLOADER_CONFIG_DIR", t.TempDir())
	set := settings.Default()
	set.AWS = settings.AWSSettings{CredentialSource: auth.SourceAWSChain, Region: "us-east-1"}
	if err := settings.Save(set); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	svc := New(auth.NewServiceWith(secrets.Memory(), true, settings.Load), settings.Load, storage.Options{})

	ms, err := svc.CleanRoomsMemberships(ctx)
	if err != nil || len(ms.Memberships) != 2 || ms.Note != "" || !ms.Memberships[0].CanReceiveResults {
		t.Fatalf("memberships: %+v, %v", ms, err)
	}
	qs, err := svc.CleanRoomsQueries(ctx, "m-recv")
	if err != nil || len(qs) != 2 || qs[0].ID != "q-running" || qs[1].DurationMillis != 30000 || qs[1].Format != "CSV" {
		t.Fatalf("queries: %+v, %v", qs, err)
	}
	if _, err := svc.CleanRoomsResult(ctx, "m-recv", "q-running"); err == nil || !strings.HasPrefix(err.Error(), "Protected query q-running is still running") {
		t.Fatalf("running query: %v", err)
	}
	if _, err := svc.CleanRoomsResult(ctx, "m-norecv", "latest"); err == nil || !strings.Contains(err.Error(), "cannot receive results") {
		t.Fatalf("membership without the receive ability: %v", err)
	}
	res, err := svc.CleanRoomsResult(ctx, "m-recv", "latest")
	if err != nil || res.URL != "s3://cr-results/retail/q-done/" || res.Query.ID != "q-done" {
		t.Fatalf("latest: %+v, %v", res, err)
	}

	app := appsvc.New(ctx, doneEvents(make(chan appsvc.DoneEvent, 1)), appsvc.Options{HistoryPath: filepath.Join(t.TempDir(), "h.db"), Remote: svc, Sources: inputs.NewResolver(svc.Openers(ctx))})
	info, err := app.InspectFile(res.URL)
	if err != nil || info.Parts != 2 {
		t.Fatalf("Step 1 on the result: %+v, %v", info, err)
	}

	std2 := standin.New(standin.Options{Memberships: []standin.Membership{{ID: "m-norecv", CollaborationName: "Measurement", Abilities: []string{"CAN_QUERY"}}}})
	hs2 := httptest.NewServer(std2)
	t.Cleanup(hs2.Close)
	t.Setenv(cleanrooms.EnvEndpoint, hs2.URL)
	ms, err = svc.CleanRoomsMemberships(ctx)
	if err != nil || !strings.HasPrefix(ms.Note, "None of your 1 AWS Clean Rooms memberships can receive results") {
		t.Fatalf("no receiving membership: %+v, %v", ms, err)
	}
}
