package cleanrooms_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/cleanrooms"
	"github.com/audience-uploader/audience-uploader/backend/cleanrooms/standin"
	"github.com/audience-uploader/audience-uploader/backend/storage/s3test"
)

// latest?like=Q keeps to the analysis query Q ran: a newer result of
// another analysis in the same collaboration, and a failed run of the same
// one, are passed over; bare latest still means the membership's newest.
func TestLatestLikeKeepsToTheAnalysis(t *testing.T) {
	s3 := s3test.Start(t)
	tmpl := "arn:aws:cleanrooms:us-east-1:111122223333:membership/m-1/analysistemplate/weekly"
	out := &standin.S3Output{Bucket: "cr", Format: "CSV"}
	std := standin.New(standin.Options{AccessKeyID: s3test.AccessKey,
		Memberships: []standin.Membership{{ID: "m-1", CollaborationID: "c", CollaborationName: "Retail", Abilities: []string{"CAN_QUERY", "CAN_RECEIVE_RESULTS"}, Created: t0}},
		Queries: []standin.Query{
			{ID: "q-weekly-3", MembershipID: "m-1", Status: "FAILED", Created: t0.Add(4 * time.Hour), S3: out, AnalysisTemplateArn: tmpl},
			{ID: "q-other", MembershipID: "m-1", Status: "SUCCESS", Created: t0.Add(3 * time.Hour), S3: out, Location: "s3://cr/q-other/", QueryString: "SELECT email FROM churned"},
			{ID: "q-weekly-2", MembershipID: "m-1", Status: "SUCCESS", Created: t0.Add(2 * time.Hour), S3: out, Location: "s3://cr/q-weekly-2/", AnalysisTemplateArn: tmpl},
			{ID: "q-sql-2", MembershipID: "m-1", Status: "SUCCESS", Created: t0.Add(90 * time.Minute), S3: out, Location: "s3://cr/q-sql-2/", QueryString: "SELECT  email\nFROM buyers"},
			{ID: "q-weekly-1", MembershipID: "m-1", Status: "SUCCESS", Created: t0.Add(time.Hour), S3: out, Location: "s3://cr/q-weekly-1/", AnalysisTemplateArn: tmpl},
			{ID: "q-sql-1", MembershipID: "m-1", Status: "SUCCESS", Created: t0, S3: out, Location: "s3://cr/q-sql-1/", QueryString: "SELECT email FROM buyers"},
		}})
	srv := httptest.NewServer(std)
	t.Cleanup(srv.Close)
	c := cleanrooms.New(s3.Config(), cleanrooms.Options{Endpoint: srv.URL, PageSize: 2})
	ctx := context.Background()
	for like, want := range map[string]string{"q-weekly-1": "q-weekly-2", "q-sql-1": "q-sql-2", "q-other": "q-other"} {
		q, err := c.LatestLike(ctx, "m-1", like)
		if err != nil || q.ID != want {
			t.Errorf("latest like %s: %+v, %v; want %s", like, q, err, want)
		}
	}
	if q, err := c.Latest(ctx, "m-1"); err != nil || q.ID != "q-other" {
		t.Errorf("bare latest: %+v, %v", q, err)
	}
	u := cleanrooms.LatestLikeURL("m-1", "q-weekly-1")
	if m, q, err := cleanrooms.ParseURL(u); err != nil || m != "m-1" || q != "latest" {
		t.Errorf("parse %s: %s %s %v", u, m, q, err)
	}
	for _, bad := range []string{"cleanrooms://m-1/q-1?like=q-2", "cleanrooms://m-1/latest?from=q-2", "cleanrooms://m-1/latest?like="} {
		if _, _, err := cleanrooms.ParseURL(bad); err == nil || !strings.Contains(err.Error(), "like=QUERY_ID") {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

// IsBareLatest is what a saved sync pins: latest without ?like=, in any
// letter case, and nothing else.
func TestIsBareLatest(t *testing.T) {
	for u, want := range map[string]bool{
		"cleanrooms://m-1/latest": true, "cleanrooms://m-1/LATEST/": true,
		"cleanrooms://m-1/latest?like=q-1": false, "cleanrooms://m-1/q-1": false, "s3://b/latest": false, "cleanrooms://m-1/latest?x=1": false,
	} {
		if got := cleanrooms.IsBareLatest(u); got != want {
			t.Errorf("IsBareLatest(%s) = %v", u, got)
		}
	}
}
