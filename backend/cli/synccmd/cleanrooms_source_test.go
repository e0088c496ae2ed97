package synccmd_test

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/cleanrooms"
	crstandin "github.com/audience-uploader/audience-uploader/backend/cleanrooms/standin"
	"github.com/audience-uploader/audience-uploader/backend/settings"
	"github.com/audience-uploader/audience-uploader/backend/storage/s3test"
	"github.com/audience-uploader/audience-uploader/backend/tiktok/standin"
	"github.com/audience-uploader/audience-uploader/backend/tiktok/standin/standintest"
)

// csvList is users from..to-1 as a Clean Rooms CSV result part.
func csvList(from, to int) []byte {
	var b strings.Builder
	b.WriteString("email,phone\n")
	for i := from; i < to; i++ {
		fmt.Fprintf(&b, "user%05d@example.com,+1 415 200 %04d\n", i, i)
	}
	return []byte(b.String())
}

// cleanRoomsCLI points the CLI (its settings, data folder, TikTok and AWS)
// at a TikTok stand-in and versitygw with an empty bucket cr-results, read
// through the AWS chain.
func cleanRoomsCLI(t *testing.T) (*standin.Server, *s3test.Server) {
	tiktok := standin.New(standin.Options{MatchRate: 1})
	base := standintest.Start(t, tiktok)
	s3 := s3test.Start(t)
	s3.Bucket(t, "cr-results")
	s3.UseAWSChain(t)
	t.Setenv("AUDIENCE_UPLOADER_CONFIG_DIR", t.TempDir())
	t.Setenv("AUDIENCE_UPLOADER_DATA_DIR", t.TempDir())
	t.Setenv("TIKTOK_API_BASE_URL", base)
	t.Setenv("TIKTOK_ACCESS_TOKEN", tiktok.Token())
	set := settings.Default()
	set.AWS = settings.AWSSettings{CredentialSource: "aws-chain", Region: "us-east-1"}
	if err := settings.Save(set); err != nil {
		t.Fatal(err)
	}
	return tiktok, s3
}

// TestSyncFromCleanRoomsLatest: a sync saved with the source
// cleanrooms://MEMBERSHIP/latest reads, on each run, the membership's newest
// successful protected query (a newer one still running is passed over),
// and the audience follows it: the first run creates it from the first
// query's result, the second run (after a new query succeeded) adds and
// removes the difference in the same audience. AWS Clean Rooms is the
// stand-in, the results are parts on versitygw, credentials the AWS chain.
func TestSyncFromCleanRoomsLatest(t *testing.T) {
	tiktok, s3 := cleanRoomsCLI(t)
	s3.Put(t, "cr-results", "weekly/q-week1/part-00000-a1-c000.csv", csvList(0, 600))
	s3.Put(t, "cr-results", "weekly/q-week1/part-00001-a1-c000.csv", csvList(600, 1000))
	s3.Put(t, "cr-results", "weekly/q-week1/_SUCCESS", nil)

	t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	out := &crstandin.S3Output{Bucket: "cr-results", KeyPrefix: "weekly", Format: "CSV"}
	member := crstandin.Membership{ID: "m-weekly", CollaborationID: "c-weekly", CollaborationName: "Weekly lift",
		Abilities: []string{"CAN_QUERY", "CAN_RECEIVE_RESULTS"}, Created: t0}
	week1 := crstandin.Query{ID: "q-week1", MembershipID: "m-weekly", Status: "SUCCESS", Created: t0, S3: out,
		Location: "s3://cr-results/weekly/q-week1/"}
	serve := func(qs ...crstandin.Query) *crstandin.Server {
		std := crstandin.New(crstandin.Options{AccessKeyID: s3test.AccessKey, Memberships: []crstandin.Membership{member}, Queries: qs})
		hs := httptest.NewServer(std)
		t.Cleanup(hs.Close)
		t.Setenv(cleanrooms.EnvEndpoint, hs.URL)
		return std
	}
	serve(week1)

	const input = "cleanrooms://m-weekly/latest"
	if code, _, errs := execute("sync", "save", "weekly", "--input", input, "--map", "email=email", "--map", "phone=phone",
		"--audience", "Weekly lift", "--advertiser-id", tiktok.Advertiser()); code != 0 {
		t.Fatalf("save: %d %s", code, errs)
	}
	code, outs, errs := execute("sync", "show", "weekly", "--json")
	if code != 0 || !strings.Contains(outs, input) {
		t.Fatalf("the saved sync does not keep %s: %d %s %s", input, code, outs, errs)
	}

	code, outs, errs = execute("sync", "run", "weekly", "--json")
	var res map[string]any
	if code != 0 || json.Unmarshal([]byte(outs), &res) != nil || res["action"] != "create" || res["rows_now"] != 1000.0 {
		t.Fatalf("first run: %d %s %s", code, outs, errs)
	}
	id, _ := res["audience_id"].(string)
	if n := len(tiktok.Members(id)); id == "" || n != 1000 {
		t.Fatalf("after the first run the audience %q has %d members, want 1000", id, n)
	}

	// A week later: a new query succeeded (users 10..1009), a newer one is
	// still running. The same sync reads the new result.
	s3.Put(t, "cr-results", "weekly/q-week2/part-00000-b2-c000.csv", csvList(10, 1010))
	s3.Put(t, "cr-results", "weekly/q-week2/_SUCCESS", nil)
	std := serve(week1,
		crstandin.Query{ID: "q-week2", MembershipID: "m-weekly", Status: "SUCCESS", Created: t0.Add(7 * 24 * time.Hour), S3: out,
			Location: "s3://cr-results/weekly/q-week2/"},
		crstandin.Query{ID: "q-week3", MembershipID: "m-weekly", Status: "STARTED", Created: t0.Add(14 * 24 * time.Hour), S3: out})
	code, outs, errs = execute("sync", "run", "weekly")
	if code != 0 || !strings.Contains(outs, "added 10, removed 10, unchanged 990") || !strings.Contains(outs, "action: replace: removing the 10 people who left") {
		// 1,000 people, 10 leave and 10 join: REMOVE first would dip to 990,
		// under TikTok's floor, so the sync replaces instead.
		t.Fatalf("second run: %d %s %s", code, outs, errs)
	}
	if std.Calls("cleanrooms:GetProtectedQuery") == 0 {
		t.Fatal("the second run did not ask AWS Clean Rooms for the newest query")
	}
	if n := len(tiktok.Members(id)); n != 1000 || len(tiktok.Audiences()) != 1 {
		t.Fatalf("after the second run: %d members, %d audiences; want the same audience with 1000", n, len(tiktok.Audiences()))
	}
}

// TestSyncSavedFromLatestKeepsToItsAnalysis: `sync save --input
// cleanrooms://M/latest` keeps the sync to the analysis of the newest
// successful query at save time. A week later another analysis of the same
// collaboration has a newer result than the weekly one: the run reads the
// weekly analysis's newest result, not the other one (which would replace
// the audience with other people).
func TestSyncSavedFromLatestKeepsToItsAnalysis(t *testing.T) {
	tiktok, s3 := cleanRoomsCLI(t)
	s3.Put(t, "cr-results", "weekly/q-week1/part-00000-a1-c000.csv", csvList(0, 1000))
	s3.Put(t, "cr-results", "weekly/q-week2/part-00000-b2-c000.csv", csvList(10, 1010))
	s3.Put(t, "cr-results", "weekly/q-churn/part-00000-c3-c000.csv", csvList(5000, 6200))

	t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	tmpl := "arn:aws:cleanrooms:us-east-1:111122223333:membership/m-weekly/analysistemplate/weekly-lift"
	out := &crstandin.S3Output{Bucket: "cr-results", KeyPrefix: "weekly", Format: "CSV"}
	member := crstandin.Membership{ID: "m-weekly", CollaborationID: "c-weekly", CollaborationName: "Weekly lift",
		Abilities: []string{"CAN_QUERY", "CAN_RECEIVE_RESULTS"}, Created: t0}
	week1 := crstandin.Query{ID: "q-week1", MembershipID: "m-weekly", Status: "SUCCESS", Created: t0, S3: out,
		Location: "s3://cr-results/weekly/q-week1/", AnalysisTemplateArn: tmpl}
	serve := func(qs ...crstandin.Query) {
		std := crstandin.New(crstandin.Options{AccessKeyID: s3test.AccessKey, Memberships: []crstandin.Membership{member}, Queries: qs})
		hs := httptest.NewServer(std)
		t.Cleanup(hs.Close)
		t.Setenv(cleanrooms.EnvEndpoint, hs.URL)
	}
	serve(week1)

	if code, outs, errs := execute("sync", "save", "weekly", "--input", "cleanrooms://m-weekly/latest", "--map", "email=email", "--map", "phone=phone",
		"--audience", "Weekly lift", "--advertiser-id", tiktok.Advertiser()); code != 0 || !strings.Contains(outs, "q-week1") {
		t.Fatalf("save: %d %s %s", code, outs, errs)
	}
	if code, outs, errs := execute("sync", "show", "weekly"); code != 0 || !strings.Contains(outs, "cleanrooms://m-weekly/latest?like=q-week1") {
		t.Fatalf("the sync is not kept to the analysis of q-week1: %d %s %s", code, outs, errs)
	}
	if code, outs, errs := execute("sync", "run", "weekly"); code != 0 || !strings.Contains(outs, "action: create") {
		t.Fatalf("first run: %d %s %s", code, outs, errs)
	}

	serve(week1,
		crstandin.Query{ID: "q-week2", MembershipID: "m-weekly", Status: "SUCCESS", Created: t0.Add(7 * 24 * time.Hour), S3: out,
			Location: "s3://cr-results/weekly/q-week2/", AnalysisTemplateArn: tmpl},
		crstandin.Query{ID: "q-churn", MembershipID: "m-weekly", Status: "SUCCESS", Created: t0.Add(8 * 24 * time.Hour), S3: out,
			Location: "s3://cr-results/weekly/q-churn/", QueryString: "SELECT email, phone FROM churned"})
	code, outs, errs := execute("sync", "run", "weekly", "--json")
	var res map[string]any
	if code != 0 || json.Unmarshal([]byte(outs), &res) != nil || res["added"] != 10.0 || res["removed"] != 10.0 {
		t.Fatalf("second run read another analysis's result: %d %s %s", code, outs, errs)
	}
	if src, _ := res["source"].(string); !strings.Contains(src, "q-week2") {
		t.Errorf("the run does not say which query it read: %q", src)
	}
}
