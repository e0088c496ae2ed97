package syncs_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/syncs"
	"github.com/audience-uploader/audience-uploader/backend/transform"
)

// TestNamesThatWindowsAndMacOSWouldConfuse: a sync's name is its folder, so
// names that are one folder on Windows and macOS (differing only in letter
// case), Windows device names and a trailing '.' are refused on every system,
// rather than becoming one sync there and two here.
func TestNamesThatWindowsAndMacOSWouldConfuse(t *testing.T) {
	dir := t.TempDir()
	list := filepath.Join(dir, "list.csv")
	if err := os.WriteFile(list, []byte("email\na@example.com\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	svc, err := syncs.New(syncs.Config{Dir: filepath.Join(dir, "syncs")})
	if err != nil {
		t.Fatal(err)
	}
	def := func(name string) syncs.Definition {
		return syncs.Definition{Name: name, Input: list, Mappings: []transform.Mapping{mustMap("email=email")},
			AudienceName: "A " + name, AdvertiserID: "7000000000000000001"}
	}
	if _, err := svc.Save(def("weekly")); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Save(def("weekly")); err != nil {
		t.Errorf("saving weekly again: %v", err)
	}
	for _, name := range []string{"Weekly", "WEEKLY", "con", "NUL", "aux.csv", "com1", "LPT9", "weekly."} {
		var ue *syncs.UsageError
		if _, err := svc.Save(def(name)); !errors.As(err, &ue) {
			t.Errorf("Save(%q) = %v, want a usage error", name, err)
		}
	}
	if l, err := svc.List(); err != nil || len(l) != 1 {
		t.Errorf("List: %d syncs, %v; want only weekly", len(l), err)
	}
	for _, name := range []string{"console", "null-list", "com", "weekly2"} {
		if _, err := svc.Save(def(name)); err != nil {
			t.Errorf("Save(%q): %v", name, err)
		}
	}
}
