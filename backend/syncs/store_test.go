package syncs_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/syncs"
	"github.com/audience-uploader/audience-uploader/backend/tiktok/standin"
	"github.com/audience-uploader/audience-uploader/backend/transform"
)

// A relative --input is saved as the absolute path it names now, so a
// scheduler starting in another folder reads the same list.
func TestRelativeInputIsSavedAbsolute(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	svc, err := syncs.New(syncs.Config{Dir: filepath.Join(t.TempDir(), "syncs")})
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		"exports/crm.csv":           filepath.Join(dir, "exports", "crm.csv"),
		"./exports/part-*.csv":      filepath.Join(dir, "exports", "part-*.csv"),
		"s3://bucket/crm/":          "s3://bucket/crm/",
		"cleanrooms://m-1/latest":   "cleanrooms://m-1/latest",
		filepath.Join(dir, "a.csv"): filepath.Join(dir, "a.csv"),
	} {
		d, err := svc.Save(syncs.Definition{Name: "crm", Input: in, AudienceName: "CRM", Mappings: []transform.Mapping{mustMap("email=email")}})
		if err != nil {
			t.Fatal(err)
		}
		if d.Input != want {
			t.Errorf("saved %q as %q, want %q", in, d.Input, want)
		}
		if sum, err := svc.Get("crm"); err != nil || sum.Input != want {
			t.Errorf("read back %q: %+v %v", in, sum, err)
		}
	}
}

// Delete removes the sync's whole folder, its lock file too (which Windows
// cannot remove while it is open).
func TestDeleteRemovesTheFolderAndLock(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "syncs")
	svc, err := syncs.New(syncs.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Save(syncs.Definition{Name: "crm", Input: "/data/crm.csv", AudienceName: "CRM", Mappings: []transform.Mapping{mustMap("email=email")}}); err != nil {
		t.Fatal(err)
	}
	if err := svc.Delete("crm"); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "crm")); !os.IsNotExist(err) {
		t.Fatalf("the sync's folder is still there: %v", err)
	}
}

// --newest orders names the way people do: crm-1-10 is newer than crm-1-9.
func TestNewestOrdersNumbersAsNumbers(t *testing.T) {
	e := newEnv(t, standin.Options{})
	folder := t.TempDir()
	e.writeList(span(0, 1100), nil)
	os.Rename(e.list, filepath.Join(folder, "crm-1-9.csv"))
	e.writeList(span(0, 1150), nil)
	os.Rename(e.list, filepath.Join(folder, "crm-1-10.csv"))
	e.save("crm", func(d *syncs.Definition) { d.Input, d.Newest = folder, "crm-*.csv" })
	p, err := e.svc.Plan(context.Background(), "crm", nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.RowsNow != 1150 {
		t.Fatalf("newest part: %d rows, want 1150 (crm-1-10.csv)", p.RowsNow)
	}
}
