package synccmd_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/tiktok"
	"github.com/audience-uploader/audience-uploader/backend/tiktok/standin"
	"github.com/audience-uploader/audience-uploader/backend/tiktok/standin/standintest"
)

// The week: a folder of two parts is synced; one part becomes a
// dangling link (the run names it, exit 1), then is gone altogether (the
// dry run warns, the run stops with the numbers and the flag that lets it
// through, and only --allow-removals sends the REMOVE).
func TestShrinkingFolderIsGuarded(t *testing.T) {
	s := standin.New(standin.Options{MatchRate: 1})
	base := standintest.Start(t, s)
	t.Setenv("AUDIENCE_UPLOADER_CONFIG_DIR", t.TempDir())
	t.Setenv("AUDIENCE_UPLOADER_DATA_DIR", t.TempDir())
	t.Setenv("TIKTOK_API_BASE_URL", base)
	t.Setenv("TIKTOK_ACCESS_TOKEN", s.Token())
	folder := t.TempDir()
	writeList(t, filepath.Join(folder, "part-0.csv"), 0, 1500)
	writeList(t, filepath.Join(folder, "part-1.csv"), 1500, 3000)
	rel, err := filepath.Rel(mustGetwd(t), folder)
	if err != nil {
		t.Fatal(err)
	}
	if code, _, errs := execute("sync", "save", "crm", "--input", rel, "--map", "email=email", "--map", "phone=phone",
		"--audience", "CRM", "--advertiser-id", s.Advertiser()); code != 0 {
		t.Fatalf("save: %d %s", code, errs)
	}
	if code, _, errs := execute("sync", "run", "crm"); code != 0 {
		t.Fatalf("first run: %d %s", code, errs)
	}
	uploads := s.Stats().Uploads

	os.Rename(filepath.Join(folder, "part-1.csv"), filepath.Join(t.TempDir(), "moved.csv"))
	if err := os.Symlink(filepath.Join(folder, "exported-later.csv"), filepath.Join(folder, "part-1.csv")); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"sync", "run", "crm", "--dry-run"}, {"sync", "run", "crm"}} {
		if code, _, errs := execute(args...); code != 1 || !strings.Contains(errs, "part-1.csv is a link to") {
			t.Fatalf("%v with a dangling part: %d %s", args, code, errs)
		}
	}

	os.Remove(filepath.Join(folder, "part-1.csv"))
	code, out, errs := execute("sync", "run", "crm", "--dry-run")
	if code != 0 || !strings.Contains(out, "warning: this run would remove 1500 of the 3000 people") || !strings.Contains(out, "--allow-removals 50") {
		t.Fatalf("dry run of half the list: %d %s %s", code, out, errs)
	}
	code, _, errs = execute("sync", "run", "crm")
	if code != 1 || !strings.Contains(errs, "nothing was sent") || !strings.Contains(errs, "sync run crm --allow-removals 50") {
		t.Fatalf("run of half the list: %d %s", code, errs)
	}
	if s.Stats().Uploads != uploads {
		t.Fatal("the stopped run uploaded")
	}
	if code, _, errs := execute("sync", "run", "crm", "--allow-removals", "40"); code != 1 || !strings.Contains(errs, "more than the 40%") {
		t.Fatalf("40%% allowed: %d %s", code, errs)
	}
	if code, out, errs := execute("sync", "run", "crm", "--allow-removals", "50"); code != 0 || !strings.Contains(out, "removed 1500") {
		t.Fatalf("allowed: %d %s %s", code, out, errs)
	}
	if code, _, errs := execute("sync", "save", "crm", "--input", folder, "--map", "email=email", "--audience", "CRM", "--max-removals", "101"); code != 2 || !strings.Contains(errs, "0 to 100") {
		t.Fatalf("--max-removals 101: %d %s", code, errs)
	}
}

func mustGetwd(t *testing.T) string {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return wd
}

// A sync whose audience was deleted says so and starts over with --recreate.
func TestRecreateAfterTheAudienceWasDeleted(t *testing.T) {
	s := standin.New(standin.Options{MatchRate: 1})
	base := standintest.Start(t, s)
	t.Setenv("AUDIENCE_UPLOADER_CONFIG_DIR", t.TempDir())
	t.Setenv("AUDIENCE_UPLOADER_DATA_DIR", t.TempDir())
	t.Setenv("TIKTOK_API_BASE_URL", base)
	t.Setenv("TIKTOK_ACCESS_TOKEN", s.Token())
	list := filepath.Join(t.TempDir(), "crm.csv")
	writeList(t, list, 0, 1100)
	execute("sync", "save", "crm", "--input", list, "--map", "email=email", "--audience", "CRM", "--advertiser-id", s.Advertiser())
	if code, _, errs := execute("sync", "run", "crm"); code != 0 {
		t.Fatalf("first run: %s", errs)
	}
	if code, _, errs := execute("sync", "run", "crm", "--recreate"); code != 2 || !strings.Contains(errs, "still exists") {
		t.Fatalf("--recreate of a live audience: %d %s", code, errs)
	}
	old := s.Audiences()[0].ID
	client, err := tiktok.New(tiktok.Config{BaseURL: base, AccessToken: s.Token()})
	if err != nil {
		t.Fatal(err)
	}
	if err := client.DeleteAudiences(context.Background(), s.Advertiser(), []string{old}); err != nil {
		t.Fatal(err)
	}
	code, _, errs := execute("sync", "run", "crm")
	if code != 1 || !strings.Contains(errs, "no longer exists") || !strings.Contains(errs, "sync run crm --recreate") {
		t.Fatalf("run after the deletion: %d %s", code, errs)
	}
	code, out, errs := execute("sync", "run", "crm", "--recreate")
	if code != 0 || !strings.Contains(errs, "starts over") || !strings.Contains(out, "action: create") {
		t.Fatalf("--recreate: %d %s %s", code, out, errs)
	}
	if a := s.Audiences(); len(a) != 1 || a[0].ID == old || len(s.Members(a[0].ID)) != 1100 {
		t.Fatalf("audiences after --recreate: %+v", a)
	}
}
