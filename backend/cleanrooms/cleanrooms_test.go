package cleanrooms_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/audience-uploader/audience-uploader/backend/cleanrooms"
	"github.com/audience-uploader/audience-uploader/backend/cleanrooms/standin"
	"github.com/audience-uploader/audience-uploader/backend/inputs"
	"github.com/audience-uploader/audience-uploader/backend/secureurl"
	"github.com/audience-uploader/audience-uploader/backend/storage"
	"github.com/audience-uploader/audience-uploader/backend/storage/s3test"
)

func fixture(t testing.TB, name string) []byte {
	data, err := os.ReadFile(filepath.Join("..", "records", "testdata", "binary", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// csvPart is one CSV part with its header: 1000 people, some of them also
// in the next part.
func csvPart(p int) []byte {
	var b strings.Builder
	b.WriteString("hashed_key,email,phone\n")
	for i := p * 1000; i < (p+1)*1000; i++ {
		fmt.Fprintf(&b, "k%d,person%d@example.com,+1 415 555 %04d\n", i, i%2500, i%2500)
	}
	return []byte(b.String())
}

// resultFolder is a Spark-style result: parts, _SUCCESS and checksum files.
func resultFolder(parts [][]byte, ext string) map[string][]byte {
	files := map[string][]byte{"_SUCCESS": nil}
	for i, p := range parts {
		files[s3test.SparkName(i, ext)] = p
		files["."+s3test.SparkName(i, ext)+".crc"] = []byte("crc")
	}
	return files
}

type fixtureSet struct {
	s3      *s3test.Server
	std     *standin.Server
	crURL   string
	parquet map[string][]byte // q-parquet's files
	csv     map[string][]byte // q-csv's files
	member  map[string][]byte // q-member's files
}

var t0 = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

// setup puts results on versitygw and serves memberships and queries in
// every status from the stand-in.
func setup(t *testing.T) *fixtureSet {
	t.Helper()
	f := &fixtureSet{s3: s3test.Start(t)}
	f.s3.Bucket(t, "cr-results")
	f.s3.Bucket(t, "member-results")
	f.parquet = resultFolder([][]byte{fixture(t, "list_snappy.parquet"), fixture(t, "list_zstd.parquet")}, "snappy.parquet")
	f.csv = resultFolder([][]byte{csvPart(0), csvPart(1), csvPart(2)}, "csv")
	f.member = resultFolder([][]byte{csvPart(3)}, "csv")
	f.s3.PutFolder(t, "cr-results", "retail/q-parquet/", f.parquet)
	f.s3.PutFolder(t, "cr-results", "retail/q-csv/", f.csv)
	f.s3.PutFolder(t, "cr-results", "retail/q-empty/", map[string][]byte{"_SUCCESS": nil})
	f.s3.PutFolder(t, "member-results", "audiences/q-member/", f.member)

	s3out := func(format string) *standin.S3Output {
		return &standin.S3Output{Bucket: "cr-results", KeyPrefix: "retail", Format: format}
	}
	recv := []string{"CAN_QUERY", "CAN_RECEIVE_RESULTS"}
	opts := standin.Options{
		AccessKeyID: s3test.AccessKey,
		Memberships: []standin.Membership{
			{ID: "m-recv", CollaborationID: "c-retail", CollaborationName: "Retail x Media", CreatorDisplayName: "Retailer",
				Abilities: recv, Created: t0, DefaultResult: &standin.S3Output{Bucket: "member-results", KeyPrefix: "audiences/", Format: "CSV"}},
			{ID: "m-norecv", CollaborationID: "c-other", CollaborationName: "Measurement", CreatorDisplayName: "Publisher",
				Abilities: []string{"CAN_QUERY"}, Created: t0},
			{ID: "m-idle", CollaborationID: "c-idle", CollaborationName: "New collaboration", CreatorDisplayName: "Retailer", Abilities: recv, Created: t0},
			{ID: "m-4", CollaborationID: "c-4", CollaborationName: "Four", Abilities: recv, Created: t0},
			{ID: "m-5", CollaborationID: "c-5", CollaborationName: "Five", Abilities: recv, Created: t0},
		},
		Queries: []standin.Query{
			{ID: "q-running", MembershipID: "m-recv", Status: "STARTED", Created: t0.Add(9 * time.Hour), S3: s3out("PARQUET")},
			{ID: "q-submitted", MembershipID: "m-recv", Status: "SUBMITTED", Created: t0.Add(8 * time.Hour), S3: s3out("PARQUET")},
			{ID: "q-member", MembershipID: "m-recv", Status: "SUCCESS", Created: t0.Add(7 * time.Hour), DurationMillis: 61000, MemberAccount: "111122223333"},
			{ID: "q-failed", MembershipID: "m-recv", Status: "FAILED", Created: t0.Add(6 * time.Hour), S3: s3out("CSV"),
				ErrorCode: "ANALYSIS_RULE_VIOLATION", ErrorMessage: "The query must output at least 100 rows per aggregation group."},
			{ID: "q-csv", MembershipID: "m-recv", Status: "SUCCESS", Created: t0.Add(5 * time.Hour), DurationMillis: 42000, S3: s3out("CSV"),
				Location: "s3://cr-results/retail/q-csv"},
			{ID: "q-cancelling", MembershipID: "m-recv", Status: "CANCELLING", Created: t0.Add(4 * time.Hour), S3: s3out("CSV")},
			{ID: "q-cancelled", MembershipID: "m-recv", Status: "CANCELLED", Created: t0.Add(3 * time.Hour), S3: s3out("CSV")},
			{ID: "q-timedout", MembershipID: "m-recv", Status: "TIMED_OUT", Created: t0.Add(2 * time.Hour), S3: s3out("CSV")},
			{ID: "q-parquet", MembershipID: "m-recv", Status: "SUCCESS", Created: t0.Add(1 * time.Hour), DurationMillis: 90000, S3: s3out("PARQUET"),
				Location: "s3://cr-results/retail/q-parquet/"},
			{ID: "q-empty", MembershipID: "m-recv", Status: "SUCCESS", Created: t0, S3: s3out("CSV"), Location: "s3://cr-results/retail/q-empty/"},
			{ID: "q-gone", MembershipID: "m-recv", Status: "SUCCESS", Created: t0.Add(-time.Hour), S3: s3out("CSV"), Location: "s3://cr-results/retail/q-gone/"},
			{ID: "q-other", MembershipID: "m-norecv", Status: "SUCCESS", Created: t0, MemberAccount: "444455556666"},
		},
	}
	f.std = standin.New(opts)
	srv := httptest.NewServer(f.std)
	t.Cleanup(srv.Close)
	f.crURL = srv.URL
	return f
}

func (f *fixtureSet) client(t *testing.T, s3Endpoint string) *cleanrooms.Client {
	if s3Endpoint == "" {
		s3Endpoint = f.s3.Endpoint
	}
	return cleanrooms.New(f.s3.Config(), cleanrooms.Options{Endpoint: f.crURL, PageSize: 2,
		Storage: storage.Options{Endpoint: s3Endpoint}})
}

// TestListsEveryPage reads memberships and queries two to a page: every
// page is fetched, queries come newest first, and every status is seen.
func TestListsEveryPage(t *testing.T) {
	f := setup(t)
	c := f.client(t, "")
	ctx := context.Background()
	ms, err := c.Memberships(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 5 || f.std.Calls("cleanrooms:ListMemberships") != 3 {
		t.Fatalf("%d memberships in %d calls, want 5 in 3 pages", len(ms), f.std.Calls("cleanrooms:ListMemberships"))
	}
	if ms[0].ID != "m-recv" || ms[0].CollaborationName != "Retail x Media" || !ms[0].CanReceiveResults || ms[1].CanReceiveResults {
		t.Fatalf("memberships: %+v", ms[:2])
	}
	qs, err := c.Queries(ctx, "m-recv")
	if err != nil {
		t.Fatal(err)
	}
	if len(qs) != 11 || f.std.Calls("cleanrooms:ListProtectedQueries") != 6 {
		t.Fatalf("%d queries in %d calls, want 11 in 6 pages", len(qs), f.std.Calls("cleanrooms:ListProtectedQueries"))
	}
	statuses := map[string]bool{}
	for i, q := range qs {
		statuses[q.Status] = true
		if i > 0 && q.Created.After(qs[i-1].Created) {
			t.Fatalf("query %d (%s) is newer than the one before it", i, q.ID)
		}
	}
	if qs[0].ID != "q-running" || len(statuses) != 7 {
		t.Fatalf("first %s, statuses %v", qs[0].ID, statuses)
	}
	ok, err := c.QueriesWithStatus(ctx, "m-recv", "success")
	if err != nil || len(ok) != 5 {
		t.Fatalf("successful queries: %v, %v", ok, err)
	}
}

// TestEveryStatus resolves a query in each status: running ones say so,
// failed ones give AWS's error, successful ones give their result prefix.
func TestEveryStatus(t *testing.T) {
	f := setup(t)
	c := f.client(t, "")
	cases := []struct {
		query string
		kind  cleanrooms.Kind
		want  string
	}{
		{"q-running", cleanrooms.KindRunning, "is still running (status STARTED"},
		{"q-submitted", cleanrooms.KindRunning, "is still running (status SUBMITTED"},
		{"q-cancelling", cleanrooms.KindRunning, "is still running (status CANCELLING"},
		{"q-failed", cleanrooms.KindFailed, "failed, so it has no result to read: The query must output at least 100 rows per aggregation group. (ANALYSIS_RULE_VIOLATION)"},
		{"q-cancelled", cleanrooms.KindFailed, "was cancelled"},
		{"q-timedout", cleanrooms.KindFailed, "timed out"},
		{"q-parquet", "", "s3://cr-results/retail/q-parquet/"},
		{"q-csv", "", "s3://cr-results/retail/q-csv/"},
		{"q-member", "", "s3://member-results/audiences/q-member/"},
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			res, err := c.Resolve(context.Background(), "cleanrooms://m-recv/"+tc.query)
			if tc.kind == "" {
				if err != nil || res.URL != tc.want || res.Query.Status != "SUCCESS" {
					t.Fatalf("resolved to %+v, %v; want %s", res, err, tc.want)
				}
				return
			}
			if cleanrooms.KindOf(err) != tc.kind || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v (kind %q), want kind %q saying %q", err, cleanrooms.KindOf(err), tc.kind, tc.want)
			}
		})
	}
	q, err := c.Query(context.Background(), "m-recv", "q-parquet")
	if err != nil || q.Format != "PARQUET" || q.DurationMillis != 90000 || q.Output != "s3" {
		t.Fatalf("query details: %+v, %v", q, err)
	}
}

// TestLatest picks the newest successful query, skipping newer running and
// failed ones; a membership that cannot receive results, or has no
// successful query, says so.
func TestLatest(t *testing.T) {
	f := setup(t)
	c := f.client(t, "")
	ctx := context.Background()
	res, err := c.Resolve(ctx, "cleanrooms://m-recv/latest")
	if err != nil || res.Query.ID != "q-member" || res.URL != "s3://member-results/audiences/q-member/" {
		t.Fatalf("latest: %+v, %v", res, err)
	}
	if _, err := c.Resolve(ctx, "cleanrooms://m-idle/latest"); cleanrooms.KindOf(err) != cleanrooms.KindNoSuccess ||
		!strings.Contains(err.Error(), "has no successful protected query yet") {
		t.Fatalf("no successful query: %v", err)
	}
	if _, err := c.Resolve(ctx, "cleanrooms://m-norecv/latest"); cleanrooms.KindOf(err) != cleanrooms.KindNoReceiver ||
		!strings.Contains(err.Error(), `membership m-norecv (collaboration "Measurement") cannot receive results`) {
		t.Fatalf("membership without the receive ability: %v", err)
	}
	if _, err := c.Resolve(ctx, "cleanrooms://m-norecv/q-other"); cleanrooms.KindOf(err) != cleanrooms.KindNoReceiver ||
		!strings.Contains(err.Error(), "cannot receive results, so protected query q-other has no result for you") {
		t.Fatalf("a query sent to another member: %v", err)
	}
	if _, err := c.Resolve(ctx, "cleanrooms://m-nope/q-1"); cleanrooms.KindOf(err) != cleanrooms.KindNotFound {
		t.Fatalf("unknown membership: %v", err)
	}
	for _, bad := range []string{"cleanrooms://m-recv", "cleanrooms:///q", "cleanrooms://m/q/extra"} {
		if _, _, err := cleanrooms.ParseURL(bad); err == nil {
			t.Errorf("%s was accepted", bad)
		}
	}
	ms, err := c.Memberships(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cleanrooms.Receivers(ms[1:2]); cleanrooms.KindOf(err) != cleanrooms.KindNoReceiver ||
		!strings.Contains(err.Error(), "none of your 1 AWS Clean Rooms memberships can receive results") {
		t.Fatalf("no receiving membership: %v", err)
	}
}

// denyObjects is an S3 front for versitygw that lets listings through and
// answers reads of objects with S3's AccessDenied, as a role without
// s3:GetObject on the result prefix gets.
func denyObjects(t *testing.T, target string) string {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/"); key != "" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusForbidden)
			if r.Method == http.MethodGet {
				fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`)
			}
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestPermissionErrorsNameTheAction: a role without a Clean Rooms action,
// or without s3:GetObject on the result, gets a sentence naming it.
func TestPermissionErrorsNameTheAction(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	c := f.client(t, "")
	for _, action := range []string{"cleanrooms:GetProtectedQuery", "cleanrooms:ListProtectedQueries", "cleanrooms:ListMemberships"} {
		f.std.Deny(action)
		var err error
		switch action {
		case "cleanrooms:GetProtectedQuery":
			_, err = c.Resolve(ctx, "cleanrooms://m-recv/q-csv")
		case "cleanrooms:ListProtectedQueries":
			_, err = c.Resolve(ctx, "cleanrooms://m-recv/latest")
		case "cleanrooms:ListMemberships":
			_, err = c.Memberships(ctx)
		}
		f.std.Allow(action)
		var ce *cleanrooms.Error
		if !errors.As(err, &ce) || ce.Kind != cleanrooms.KindDenied || ce.Action != action ||
			!strings.Contains(err.Error(), "AWS denied "+action+" to these credentials") {
			t.Fatalf("%s denied: %v", action, err)
		}
	}
	f.std.Deny("cleanrooms:GetMembership")
	if _, err := c.Resolve(ctx, "cleanrooms://m-recv/q-member"); !strings.Contains(fmt.Sprint(err), "AWS denied cleanrooms:GetMembership") {
		t.Fatalf("GetMembership denied: %v", err)
	}
	f.std.Allow("cleanrooms:GetMembership")

	denied := f.client(t, denyObjects(t, f.s3.Endpoint))
	_, _, err := denied.Source(ctx, "cleanrooms://m-recv/q-parquet")
	var ce *cleanrooms.Error
	if !errors.As(err, &ce) || ce.Kind != cleanrooms.KindDenied || ce.Action != "s3:GetObject" ||
		!strings.Contains(err.Error(), "AWS denied s3:GetObject on s3://cr-results/retail/q-parquet/part-00000-") {
		t.Fatalf("s3:GetObject denied: %v", err)
	}
}

// TestEmptyResult: a successful query whose location holds only _SUCCESS,
// or nothing at all, is reported as empty.
func TestEmptyResult(t *testing.T) {
	f := setup(t)
	c := f.client(t, "")
	for _, q := range []string{"q-empty", "q-gone"} {
		_, _, err := c.Source(context.Background(), "cleanrooms://m-recv/"+q)
		if cleanrooms.KindOf(err) != cleanrooms.KindEmpty || !strings.Contains(err.Error(), "the result of protected query "+q) ||
			!strings.Contains(err.Error(), "is empty") {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// TestTransformFromCleanRoomsEqualsLocalFolder transforms the results of a
// Parquet, a CSV and a member-output query through cleanrooms:// and checks
// the output files are byte for byte those of the same parts in a folder.
func TestTransformFromCleanRoomsEqualsLocalFolder(t *testing.T) {
	f := setup(t)
	c := f.client(t, "")
	cases := []struct {
		input string
		files map[string][]byte
		maps  []string
		rows  int64
	}{
		{"cleanrooms://m-recv/q-parquet", f.parquet, []string{"email=email", "phone=phone", "maid=gaid"}, 9000},
		{"cleanrooms://m-recv/q-csv", f.csv, []string{"email=email", "phone=phone"}, 3000},
		{"cleanrooms://m-recv/latest", f.member, []string{"email=email", "phone=phone"}, 1000},
	}
	for _, tc := range cases {
		t.Run(tc.input, func(t *testing.T) {
			remote, res, err := c.Source(context.Background(), tc.input)
			if err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join(t.TempDir(), res.Query.ID)
			s3test.WriteFolder(t, dir, tc.files)
			local, err := inputs.Local(dir)
			if err != nil {
				t.Fatal(err)
			}
			mr, ml := s3test.RunParts(t, remote, tc.maps...), s3test.RunParts(t, local, tc.maps...)
			if s3test.FileHashes(mr) != s3test.FileHashes(ml) || len(mr.Files) == 0 {
				t.Fatalf("cleanrooms:// output:\n%s\nlocal folder output:\n%s", s3test.FileHashes(mr), s3test.FileHashes(ml))
			}
			if mr.Counters.RowsRead != tc.rows {
				t.Fatalf("read %d rows, want %d", mr.Counters.RowsRead, tc.rows)
			}
		})
	}
}

// TestEndpointMustBeHTTPSOrLoopback: AWS_ENDPOINT_URL_CLEANROOMS (the SDK's
// own variable) is honoured, and plain http to another host is refused
// before anything is sent.
func TestEndpointMustBeHTTPSOrLoopback(t *testing.T) {
	f := setup(t)
	load := func() *cleanrooms.Client {
		cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion("us-east-1"),
			config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(s3test.AccessKey, s3test.SecretKey, "")))
		if err != nil {
			t.Fatal(err)
		}
		return cleanrooms.New(cfg, cleanrooms.Options{})
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv(cleanrooms.EnvEndpoint, f.crURL)
	if ms, err := load().Memberships(context.Background()); err != nil || len(ms) != 5 {
		t.Fatalf("through %s: %v, %v", cleanrooms.EnvEndpoint, ms, err)
	}
	t.Setenv(cleanrooms.EnvEndpoint, "http://cleanrooms.example.com")
	before := f.std.Calls("cleanrooms:ListMemberships")
	_, err := load().Memberships(context.Background())
	var refused *secureurl.RefusedError
	if !errors.As(err, &refused) || !strings.Contains(err.Error(), "AWS Clean Rooms endpoint http://cleanrooms.example.com is plain http") ||
		!strings.Contains(err.Error(), cleanrooms.EnvEndpoint) {
		t.Fatalf("plain http endpoint: %v", err)
	}
	if f.std.Calls("cleanrooms:ListMemberships") != before {
		t.Fatal("a request reached the stand-in")
	}
}
