package synccmd_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	metastandin "github.com/audience-uploader/audience-uploader/backend/meta/standin"
	metastandintest "github.com/audience-uploader/audience-uploader/backend/meta/standin/standintest"
)

// A sync to Meta through the command line: save with --destination meta
// and --ad-account, refuse a MADID column, create, update (REMOVE, then
// APPEND), show and --wait, against the Meta stand-in.
func TestSyncCommandsToMeta(t *testing.T) {
	s := metastandin.New(metastandin.Options{})
	base := metastandintest.Start(t, s)
	t.Setenv("AUDIENCE_UPLOADER_CONFIG_DIR", t.TempDir())
	t.Setenv("AUDIENCE_UPLOADER_DATA_DIR", t.TempDir())
	t.Setenv("META_API_BASE_URL", base)
	t.Setenv("META_ACCESS_TOKEN", s.Token())
	list := filepath.Join(t.TempDir(), "crm.csv")
	writeList(t, list, 0, 1100)
	acct := s.AdAccount()

	code, _, errs := execute("sync", "save", "apps", "--input", list, "--map", "email=email", "--map", "phone=idfa",
		"--audience", "Apps", "--destination", "meta", "--ad-account", acct)
	if code != 2 || !strings.Contains(errs, "Meta takes mobile advertiser IDs unhashed") {
		t.Fatalf("save with a MADID column: %d %s", code, errs)
	}
	if code, _, errs := execute("sync", "save", "crm", "--input", list, "--map", "email=email", "--audience", "CRM", "--destination", "myspace"); code != 2 || !strings.Contains(errs, "tiktok or meta") {
		t.Fatalf("save to an unknown destination: %d %s", code, errs)
	}
	code, out, errs := execute("sync", "save", "crm", "--input", list, "--map", "email=email", "--map", "phone=phone",
		"--audience", "CRM", "--destination", "meta", "--ad-account", acct)
	if code != 0 || !strings.Contains(out, "new Meta "+acct+" audience") {
		t.Fatalf("save: %d %s %s", code, out, errs)
	}

	code, out, errs = execute("sync", "run", "crm", "--json")
	var res map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil || res["action"] != "create" || res["audience_id"] == "" {
		t.Fatalf("run: %d %s %s", code, out, errs)
	}
	id := res["audience_id"].(string)
	if n := s.Size(id); n != 1100 {
		t.Fatalf("%d people in the audience, want 1100", n)
	}

	writeList(t, list, 10, 1110)
	code, out, errs = execute("sync", "run", "crm", "--wait")
	if code != 0 || !strings.Contains(out, "added 10, removed 10, unchanged 1090") || !strings.Contains(out, "sends 10 row(s) with REMOVE, then 10 with APPEND") ||
		!strings.Contains(out, "audience "+id+" on Meta: 1100–1100 people; ready for use") {
		t.Fatalf("second run: %d %s %s", code, out, errs)
	}
	if n := s.Size(id); n != 1100 || len(s.AudienceIDs(acct, "CRM")) != 1 {
		t.Fatalf("%d people, %d audiences", n, len(s.AudienceIDs(acct, "CRM")))
	}
	if code, out, _ = execute("sync", "show", "crm"); code != 0 || !strings.Contains(out, "Meta "+acct+" audience "+id) {
		t.Fatalf("show: %d %s", code, out)
	}
	if code, out, _ = execute("sync", "delete", "crm"); code != 0 || !strings.Contains(out, "still on Meta") {
		t.Fatalf("delete: %d %s", code, out)
	}
}
