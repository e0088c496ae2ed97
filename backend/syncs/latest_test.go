package syncs_test

import (
	"context"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/cleanrooms"
	crstandin "github.com/audience-uploader/audience-uploader/backend/cleanrooms/standin"
	"github.com/audience-uploader/audience-uploader/backend/inputs"
	"github.com/audience-uploader/audience-uploader/backend/storage"
	"github.com/audience-uploader/audience-uploader/backend/storage/s3test"
	"github.com/audience-uploader/audience-uploader/backend/syncs"
	"github.com/audience-uploader/audience-uploader/backend/tiktok/standin"
)

// crList is people from..to-1 (row) as one Clean Rooms CSV result part.
func crList(from, to int) []byte {
	var b strings.Builder
	b.WriteString("email,phone\n")
	for i := from; i < to; i++ {
		b.WriteString(row(i, 0) + "\n")
	}
	return []byte(b.String())
}

// A sync an older version saved with a bare cleanrooms://M/latest (the
// membership's newest query of any analysis) still runs, its plan says
// which query it read, and the first run that goes through keeps it to
// that query's analysis: a newer result of another analysis is not read
// later. A run that stops (here the removal guard, as it reads another
// analysis) pins nothing. AWS Clean Rooms is the stand-in, the parts are on
// versitygw, TikTok the TikTok stand-in.
func TestBareLatestIsPinnedToTheAnalysisItRead(t *testing.T) {
	e := newEnv(t, standin.Options{})
	s3 := s3test.Start(t)
	s3.Bucket(t, "cr-results")
	s3.Put(t, "cr-results", "r/q-week1/part-00000-a-c000.csv", crList(0, 1200))
	s3.Put(t, "cr-results", "r/q-week2/part-00000-b-c000.csv", crList(10, 1210))
	s3.Put(t, "cr-results", "r/q-churn/part-00000-c-c000.csv", crList(5000, 6000))
	t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	tmpl := "arn:aws:cleanrooms:us-east-1:111122223333:membership/m-1/analysistemplate/weekly"
	out := &crstandin.S3Output{Bucket: "cr-results", KeyPrefix: "r", Format: "CSV"}
	query := func(id string, days int, analysis string) crstandin.Query {
		q := crstandin.Query{ID: id, MembershipID: "m-1", Status: "SUCCESS", Created: t0.Add(time.Duration(days) * 24 * time.Hour), S3: out,
			Location: "s3://cr-results/r/" + id + "/", AnalysisTemplateArn: analysis}
		if analysis == "" {
			q.QueryString = "SELECT email, phone FROM churned"
		}
		return q
	}
	var client *cleanrooms.Client
	serve := func(qs ...crstandin.Query) {
		srv := httptest.NewServer(crstandin.New(crstandin.Options{AccessKeyID: s3test.AccessKey, Queries: qs,
			Memberships: []crstandin.Membership{{ID: "m-1", CollaborationName: "Retail", Abilities: []string{"CAN_QUERY", "CAN_RECEIVE_RESULTS"}, Created: t0}}}))
		t.Cleanup(srv.Close)
		client = cleanrooms.New(s3.Config(), cleanrooms.Options{Endpoint: srv.URL, Storage: storage.Options{Endpoint: s3.Endpoint}})
	}
	svc, err := syncs.New(syncs.Config{Dir: e.dir, Workers: 1, PollInterval: 5 * time.Millisecond, Connect: connectFunc(e.base, e.s.Token(), e.state),
		OpenSource: func(u string) (inputs.Source, error) {
			src, _, err := client.Source(context.Background(), u)
			return src, err
		}})
	if err != nil {
		t.Fatal(err)
	}
	e.svc = svc
	const bare = "cleanrooms://m-1/latest"
	pinned := cleanrooms.LatestLikeURL("m-1", "q-week1")
	input := func() string {
		t.Helper()
		s, err := svc.Get("weekly")
		if err != nil {
			t.Fatal(err)
		}
		return s.Input
	}

	serve(query("q-week1", 0, tmpl))
	e.save("weekly", func(d *syncs.Definition) { d.Input = bare }) // as an older version saved it
	p, err := svc.Plan(context.Background(), "weekly", nil)
	if err != nil || !strings.Contains(p.Source, "read protected query q-week1") || !strings.Contains(p.Source, "keeps it to that analysis as "+pinned) {
		t.Fatalf("dry run: %+v, %v", p, err)
	}
	if input() != bare {
		t.Fatal("the dry run changed the definition")
	}
	r := e.run("weekly")
	if r.Action != syncs.ActionCreate || !strings.Contains(r.Source, "now keeps to that analysis: saved as "+pinned) || input() != pinned {
		t.Fatalf("first run: %s %q; input now %s", r.Action, r.Source, input())
	}

	// The weekly analysis ran again, then another analysis: the sync reads
	// the weekly one's newest result.
	serve(query("q-week1", 0, tmpl), query("q-week2", 7, tmpl), query("q-churn", 8, ""))
	r = e.run("weekly")
	if r.Added != 10 || r.Removed != 10 || !strings.Contains(r.Source, "read protected query q-week2") {
		t.Fatalf("second run: +%d −%d, %q", r.Added, r.Removed, r.Source)
	}
	if err := os.WriteFile(e.list, crList(10, 1210), 0o600); err != nil { // what checkMembers compares with
		t.Fatal(err)
	}
	e.checkMembers(r.AudienceID)

	// Saved bare again, the newest query is the other analysis's: the
	// guard stops the run, and the sync is not pinned to that analysis.
	e.save("weekly", func(d *syncs.Definition) { d.Input = bare })
	_, err = svc.Run(context.Background(), "weekly", nil)
	if !syncs.IsRemovalStop(err) || input() != bare {
		t.Fatalf("run reading another analysis: %v; input now %s", err, input())
	}
}
