package main

import (
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
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

// TestCleanRoomsSyncRunsFromTheApp: a sync whose input is
// cleanrooms://MEMBERSHIP/latest runs from the app's sync service (the
// Syncs view's path), reading the query's result parts through the same
// Resolver the wizard uses. Before the one Resolver the app's syncs knew
// only s3:// and read a cleanrooms:// input as a local path.
func TestCleanRoomsSyncRunsFromTheApp(t *testing.T) {
	a, _ := testApp(t)
	tk := standin.New(standin.Options{MatchRate: 1})
	tkSrv := httptest.NewServer(tk)
	t.Cleanup(tkSrv.Close)
	t.Setenv(tiktok.EnvBaseURL, tkSrv.URL+"/open_api/")
	t.Setenv(tiktok.EnvAccessToken, tk.Token())

	s3 := s3test.Start(t)
	s3.Bucket(t, "cr-results")
	for i, r := range [][2]int{{0, 700}, {700, 1200}} {
		var b strings.Builder
		b.WriteString("email\n")
		for n := r[0]; n < r[1]; n++ {
			fmt.Fprintf(&b, "person%05d@example.com\n", n)
		}
		s3.Put(t, "cr-results", fmt.Sprintf("weekly/q-1/part-%05d-a1-c000.csv", i), []byte(b.String()))
	}
	s3.Put(t, "cr-results", "weekly/q-1/_SUCCESS", nil)
	t.Setenv("AWS_ENDPOINT_URL_S3", s3.Endpoint)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_ACCESS_KEY_ID", s3test.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", s3test.SecretKey)
	for _, k := range []string{"AWS_SESSION_TOKEN", "AWS_PROFILE"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	cr := crstandin.New(crstandin.Options{AccessKeyID: s3test.AccessKey,
		Memberships: []crstandin.Membership{{ID: "m-weekly", CollaborationName: "Weekly lift",
			Abilities: []string{"CAN_QUERY", "CAN_RECEIVE_RESULTS"}, Created: time.Now()}},
		Queries: []crstandin.Query{{ID: "q-1", MembershipID: "m-weekly", Status: "SUCCESS", Created: time.Now(),
			S3: &crstandin.S3Output{Bucket: "cr-results", KeyPrefix: "weekly", Format: "CSV"}, Location: "s3://cr-results/weekly/q-1/"}}})
	crSrv := httptest.NewServer(cr)
	t.Cleanup(crSrv.Close)
	t.Setenv(cleanrooms.EnvEndpoint, crSrv.URL)

	s := a.GetSettings()
	s.TikTok.AdvertiserID = tk.Advertiser()
	s.AWS = settings.AWSSettings{CredentialSource: "aws-chain", Region: "us-east-1"}
	if _, err := a.SaveSettings(s); err != nil {
		t.Fatal(err)
	}
	// What startup does: the cloud service and the one Resolver over it.
	a.startCloud()
	a.sources = inputs.NewResolver(a.cloud.Openers(a.ctx))

	d := syncs.Definition{Name: "weekly", Input: "cleanrooms://m-weekly/latest", Mappings: []transform.Mapping{{Column: "email", TypeName: "email"}}, AudienceName: "Weekly lift"}
	if _, err := a.SaveSync(d, ""); err != nil {
		t.Fatal(err)
	}
	p, err := a.PlanSync("weekly")
	if err != nil || p.Added != 1200 {
		t.Fatalf("plan = %+v, %v", p, err)
	}
	out, err := a.RunSync("weekly", p.ID, false)
	if err != nil || out.Result == nil {
		t.Fatalf("run = %+v, %v", out, err)
	}
	r := out.Result
	if got := tk.Audiences(); len(got) != 1 || r.AudienceID == "" {
		t.Fatalf("audiences at the stand-in = %+v, result %+v", got, r)
	}
}
