package authcmd

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/cleanrooms"
	"github.com/audience-uploader/audience-uploader/backend/cleanrooms/standin"
	"github.com/audience-uploader/audience-uploader/backend/cli/tiktokcmd"
	"github.com/audience-uploader/audience-uploader/backend/settings"
	"github.com/audience-uploader/audience-uploader/backend/storage/s3test"
	tiktokstandin "github.com/audience-uploader/audience-uploader/backend/tiktok/standin"
	"github.com/audience-uploader/audience-uploader/backend/tiktok/standin/standintest"
)

// TestCleanRoomsCLI lists memberships and queries (two to a page) with the
// AWS chain's credentials, reads a result with --input cleanrooms://… in
// schema, preview and transform, checks the output equals the same parts
// read as a local folder, and checks the sentences for a running query, a
// malformed address and a denied action.
func TestCleanRoomsCLI(t *testing.T) {
	s3srv := s3test.Start(t)
	s3srv.Bucket(t, "cr-results")
	parts := map[string][]byte{"_SUCCESS": nil}
	for i, name := range []string{"list_snappy.parquet", "list_zstd.parquet"} {
		data, err := os.ReadFile(filepath.Join("..", "..", "records", "testdata", "binary", name))
		if err != nil {
			t.Fatal(err)
		}
		parts["part-0000"+string(rune('0'+i))+"-5e1c-c000.snappy.parquet"] = data
	}
	for name, data := range parts {
		s3srv.Put(t, "cr-results", "retail/q-done/"+name, data)
	}
	t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	std := standin.New(standin.Options{
		AccessKeyID: s3test.AccessKey, DefaultPageSize: 2,
		Memberships: []standin.Membership{
			{ID: "m-recv", CollaborationName: "Retail x Media", CreatorDisplayName: "Retailer", Abilities: []string{"CAN_QUERY", "CAN_RECEIVE_RESULTS"}, Created: t0},
			{ID: "m-norecv", CollaborationName: "Measurement", CreatorDisplayName: "Publisher", Abilities: []string{"CAN_QUERY"}, Created: t0},
			{ID: "m-third", CollaborationName: "Third", CreatorDisplayName: "Agency", Abilities: []string{"CAN_QUERY"}, Created: t0},
		},
		Queries: []standin.Query{
			{ID: "q-running", MembershipID: "m-recv", Status: "STARTED", Created: t0.Add(3 * time.Hour),
				S3: &standin.S3Output{Bucket: "cr-results", KeyPrefix: "retail", Format: "PARQUET"}},
			{ID: "q-failed", MembershipID: "m-recv", Status: "FAILED", Created: t0.Add(2 * time.Hour), ErrorMessage: "Column hashed_email does not exist.",
				S3: &standin.S3Output{Bucket: "cr-results", KeyPrefix: "retail", Format: "PARQUET"}},
			{ID: "q-done", MembershipID: "m-recv", Status: "SUCCESS", Created: t0.Add(time.Hour), DurationMillis: 75000,
				S3: &standin.S3Output{Bucket: "cr-results", KeyPrefix: "retail", Format: "PARQUET"}, Location: "s3://cr-results/retail/q-done/"},
		},
	})
	crSrv := httptest.NewServer(std)
	defer crSrv.Close()

	t.Setenv("AUDIENCE_UPLOADER_CONFIG_DIR", t.TempDir())
	t.Setenv(cleanrooms.EnvEndpoint, crSrv.URL)
	s3srv.UseAWSChain(t)
	s := settings.Default()
	s.AWS = settings.AWSSettings{CredentialSource: "aws-chain", Region: "us-east-1"}
	if err := settings.Save(s); err != nil {
		t.Fatal(err)
	}

	expect := func(wantCode int, want string, args ...string) (string, string) {
		t.Helper()
		code, out, errs := runWith(t, tiktokcmd.Commands, "", args...)
		if code != wantCode || !strings.Contains(out+errs, want) {
			t.Fatalf("%v: exit %d, out %q, err %q; want exit %d with %q", args, code, out, errs, wantCode, want)
		}
		return out, errs
	}
	out, _ := expect(0, "m-recv", "cleanrooms", "ls")
	for _, want := range []string{"Retail x Media", "Measurement", "m-third"} {
		if !strings.Contains(out, want) {
			t.Fatalf("cleanrooms ls misses %q (all pages):\n%s", want, out)
		}
	}
	out, _ = expect(0, "", "cleanrooms", "ls", "--json")
	var ms []cleanrooms.Membership
	if err := json.Unmarshal([]byte(out), &ms); err != nil || len(ms) != 3 || !ms[0].CanReceiveResults || ms[1].CanReceiveResults {
		t.Fatalf("cleanrooms ls --json: %v\n%s", err, out)
	}
	out, errs := expect(0, "Column hashed_email does not exist.", "cleanrooms", "ls", "--membership", "m-recv")
	if strings.Index(out, "q-running") > strings.Index(out, "q-failed") || strings.Index(out, "q-failed") > strings.Index(out, "q-done") ||
		!strings.Contains(out, "1m15s") || !strings.Contains(out, "PARQUET") || !strings.Contains(errs, "cleanrooms://m-recv/latest") {
		t.Fatalf("queries newest first with duration and format:\n%s\n%s", out, errs)
	}
	out, _ = expect(0, "", "cleanrooms", "ls", "--membership", "m-recv", "--status", "success", "--json")
	var qs []cleanrooms.Query
	if err := json.Unmarshal([]byte(out), &qs); err != nil || len(qs) != 1 || qs[0].ID != "q-done" || qs[0].Location != "s3://cr-results/retail/q-done/" {
		t.Fatalf("--status success --json: %v\n%s", err, out)
	}
	expect(2, "is not a protected-query status", "cleanrooms", "ls", "--membership", "m-recv", "--status", "done")

	expect(0, "2 files", "schema", "--input", "cleanrooms://m-recv/latest")
	expect(0, "", "preview", "--input", "cleanrooms://m-recv/q-done", "--map", "email=email")

	local := t.TempDir()
	for name, data := range parts {
		if err := os.WriteFile(filepath.Join(local, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	outCR, outLocal := filepath.Join(t.TempDir(), "cr"), filepath.Join(t.TempDir(), "local")
	expect(0, "", "transform", "--input", "cleanrooms://m-recv/latest", "--map", "email=email", "--map", "phone=phone", "--out", outCR, "--workers", "1")
	expect(0, "", "transform", "--input", local, "--map", "email=email", "--map", "phone=phone", "--out", outLocal, "--workers", "1")
	a, b := readManifest(t, outCR), readManifest(t, outLocal)
	if a.Input != "cleanrooms://m-recv/q-done" {
		t.Fatalf("the manifest names %q as its input, want the query read", a.Input)
	}
	if a.Counters.RowsRead != 9000 || len(a.Files) == 0 || len(a.Files) != len(b.Files) {
		t.Fatalf("manifests: cleanrooms %+v, local %+v", a.Counters, b.Counters)
	}
	for i := range a.Files {
		fa, _ := os.ReadFile(filepath.Join(outCR, a.Files[i].Path))
		fb, _ := os.ReadFile(filepath.Join(outLocal, b.Files[i].Path))
		if len(fa) == 0 || !bytes.Equal(fa, fb) {
			t.Fatalf("output %s differs between cleanrooms:// and the local folder", a.Files[i].Path)
		}
	}

	// run: the same result, hashed and uploaded to the TikTok stand-in.
	tk := tiktokstandin.New(tiktokstandin.Options{})
	t.Setenv("TIKTOK_API_BASE_URL", standintest.Start(t, tk))
	t.Setenv("TIKTOK_ACCESS_TOKEN", tk.Token())
	t.Setenv("AUDIENCE_UPLOADER_DATA_DIR", t.TempDir())
	expect(0, "", "run", "--input", "cleanrooms://m-recv/latest", "--map", "email=email", "--map", "phone=phone",
		"--out", filepath.Join(t.TempDir(), "run"), "--audience", "from clean rooms", "--advertiser-id", tk.Advertiser(), "--json")
	auds := tk.Audiences()
	if len(auds) != 1 || auds[0].Users != b.Counters.RowsWritten {
		t.Fatalf("audiences %+v, want one of %d users", auds, b.Counters.RowsWritten)
	}
	for _, f := range b.Files {
		data, _ := os.ReadFile(filepath.Join(outLocal, f.Path))
		for _, h := range strings.FieldsFunc(string(data), func(r rune) bool { return r == ',' || r == '\n' }) {
			if strings.Contains(h, "SHA256") {
				continue // the header of a multiple-types file
			}
			if auds[0].Delivered[h] != 1 {
				t.Fatalf("hash %s of the local folder's output was not delivered once by the cleanrooms:// run", h)
			}
		}
	}

	expect(1, "protected query q-running is still running", "transform", "--input", "cleanrooms://m-recv/q-running", "--map", "email=email", "--out", t.TempDir())
	expect(1, "failed, so it has no result to read: Column hashed_email does not exist.", "schema", "--input", "cleanrooms://m-recv/q-failed")
	expect(2, "is not cleanrooms://MEMBERSHIP_ID/QUERY_ID", "schema", "--input", "cleanrooms://m-recv")
	std.Deny("cleanrooms:GetProtectedQuery")
	expect(1, "AWS denied cleanrooms:GetProtectedQuery", "schema", "--input", "cleanrooms://m-recv/q-done")
	std.Allow("cleanrooms:GetProtectedQuery")
}
