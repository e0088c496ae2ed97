package main

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/cleanrooms"
	crstandin "github.com/audience-uploader/audience-uploader/backend/cleanrooms/standin"
	"github.com/audience-uploader/audience-uploader/backend/inputs"
	"github.com/audience-uploader/audience-uploader/backend/settings"
	"github.com/audience-uploader/audience-uploader/backend/storage/s3test"
	"github.com/audience-uploader/audience-uploader/backend/syncs"
	"github.com/audience-uploader/audience-uploader/backend/tiktok"
	"github.com/audience-uploader/audience-uploader/backend/tiktok/standin"
	"github.com/audience-uploader/audience-uploader/backend/transform"
)

// cleanRoomsApp is an app signed in through the AWS chain to versitygw and
// an AWS Clean Rooms stand-in with membership m-weekly, and to the TikTok
// stand-in; serve (re)starts the Clean Rooms stand-in with queries.
type cleanRoomsApp struct {
	a  *App
	tk *standin.Server
	s3 *s3test.Server
}

func newCleanRoomsApp(t *testing.T) *cleanRoomsApp {
	a, _ := testApp(t)
	tk := standin.New(standin.Options{MatchRate: 1})
	tkSrv := httptest.NewServer(tk)
	t.Cleanup(tkSrv.Close)
	t.Setenv(tiktok.EnvBaseURL, tkSrv.URL+"/open_api/")
	t.Setenv(tiktok.EnvAccessToken, tk.Token())
	s3 := s3test.Start(t)
	s3.Bucket(t, "cr-results")
	s3.UseAWSChain(t)
	s := a.GetSettings()
	s.TikTok.AdvertiserID = tk.Advertiser()
	s.AWS = settings.AWSSettings{CredentialSource: "aws-chain", Region: "us-east-1"}
	if _, err := a.SaveSettings(s); err != nil {
		t.Fatal(err)
	}
	// What startup does: the cloud service and the one Resolver over it.
	a.startCloud()
	a.sources = inputs.NewResolver(a.cloud.Openers(a.ctx))
	return &cleanRoomsApp{a: a, tk: tk, s3: s3}
}

// putResult writes people from..to-1 as query id's result, in parts.
func (c *cleanRoomsApp) putResult(t *testing.T, id string, from, to int) {
	for i, lo := 0, from; lo < to; i, lo = i+1, lo+700 {
		var b strings.Builder
		b.WriteString("email\n")
		for n := lo; n < min(lo+700, to); n++ {
			fmt.Fprintf(&b, "person%05d@example.com\n", n)
		}
		c.s3.Put(t, "cr-results", fmt.Sprintf("weekly/%s/part-%05d-a1-c000.csv", id, i), []byte(b.String()))
	}
	c.s3.Put(t, "cr-results", "weekly/"+id+"/_SUCCESS", nil)
}

// query is a finished query of membership m-weekly, days after the first,
// that ran the analysis template tmpl (or, without one, some SQL).
func query(id string, days int, tmpl string) crstandin.Query {
	q := crstandin.Query{ID: id, MembershipID: "m-weekly", Status: "SUCCESS", Created: time.Now().Add(time.Duration(days-30) * 24 * time.Hour),
		S3: &crstandin.S3Output{Bucket: "cr-results", KeyPrefix: "weekly", Format: "CSV"}, Location: "s3://cr-results/weekly/" + id + "/", AnalysisTemplateArn: tmpl}
	if tmpl == "" {
		q.QueryString = "SELECT email FROM churned"
	}
	return q
}

func (c *cleanRoomsApp) serve(t *testing.T, qs ...crstandin.Query) {
	cr := crstandin.New(crstandin.Options{AccessKeyID: s3test.AccessKey, Queries: qs,
		Memberships: []crstandin.Membership{{ID: "m-weekly", CollaborationName: "Weekly lift",
			Abilities: []string{"CAN_QUERY", "CAN_RECEIVE_RESULTS"}, Created: time.Now()}}})
	crSrv := httptest.NewServer(cr)
	t.Cleanup(crSrv.Close)
	t.Setenv(cleanrooms.EnvEndpoint, crSrv.URL)
}

// TestCleanRoomsSyncRunsFromTheApp: a sync whose input is
// cleanrooms://MEMBERSHIP/latest runs from the app's sync service (the
// Syncs view's path), reading the query's result parts through the same
// Resolver the wizard uses. Before the one Resolver the app's syncs knew
// only s3:// and read a cleanrooms:// input as a local path.
func TestCleanRoomsSyncRunsFromTheApp(t *testing.T) {
	c := newCleanRoomsApp(t)
	c.putResult(t, "q-1", 0, 1200)
	q := query("q-1", 0, "")
	q.QueryString = "" // AWS names no analysis: latest stays the membership's newest
	c.serve(t, q)

	d := syncs.Definition{Name: "weekly", Input: "cleanrooms://m-weekly/latest", Mappings: []transform.Mapping{{Column: "email", TypeName: "email"}}, AudienceName: "Weekly lift"}
	if _, err := c.a.SaveSync(d, ""); err != nil {
		t.Fatal(err)
	}
	p, err := c.a.PlanSync("weekly")
	if err != nil || p.Added != 1200 {
		t.Fatalf("plan = %+v, %v", p, err)
	}
	out, err := c.a.RunSync("weekly", p.ID, false)
	if err != nil || out.Result == nil {
		t.Fatalf("run = %+v, %v", out, err)
	}
	r := out.Result
	if got := c.tk.Audiences(); len(got) != 1 || r.AudienceID == "" {
		t.Fatalf("audiences at the stand-in = %+v, result %+v", got, r)
	}
}

// TestAppSyncSavedFromLatestKeepsToItsAnalysis: Save as sync with a bare
// cleanrooms://M/latest keeps the sync to the analysis of the newest
// successful query at save time; a newer result of another analysis in the
// collaboration is not what the next run reads.
func TestAppSyncSavedFromLatestKeepsToItsAnalysis(t *testing.T) {
	c := newCleanRoomsApp(t)
	const tmpl = "arn:aws:cleanrooms:us-east-1:111122223333:membership/m-weekly/analysistemplate/lift"
	c.putResult(t, "q-1", 0, 1200)
	c.putResult(t, "q-2", 20, 1220)
	c.putResult(t, "q-churn", 5000, 5900)
	c.serve(t, query("q-1", 0, tmpl))
	d := syncs.Definition{Name: "weekly", Input: "cleanrooms://m-weekly/latest", Mappings: []transform.Mapping{{Column: "email", TypeName: "email"}}, AudienceName: "Weekly lift"}
	saved, err := c.a.SaveSync(d, "")
	if err != nil || saved.Definition.Input != cleanrooms.LatestLikeURL("m-weekly", "q-1") || !strings.Contains(saved.Pinned, "q-1") {
		t.Fatalf("save = %+v, %v", saved, err)
	}
	// Before the first run, the weekly analysis ran again, then another
	// analysis: the sync reads the weekly one's newest result.
	c.serve(t, query("q-1", 0, tmpl), query("q-2", 7, tmpl), query("q-churn", 8, ""))
	p, err := c.a.PlanSync("weekly")
	if err != nil || p.Added != 1200 || !strings.Contains(p.Source, "read protected query q-2") {
		t.Fatalf("plan after another analysis ran = %+v, %v", p, err)
	}
	out, err := c.a.RunSync("weekly", p.ID, false)
	if err != nil || out.Result == nil || len(c.tk.Members(out.Result.AudienceID)) != 1200 {
		t.Fatalf("run = %+v, %v", out, err)
	}
}
