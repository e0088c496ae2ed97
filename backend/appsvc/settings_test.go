package appsvc

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/settings"
)

func TestSaveSettings(t *testing.T) {
	s, _, _ := newService(t)
	in := s.Settings()
	in.DefaultRegion = "gb"
	in.MaxFileMB = 100
	got, err := s.SaveSettings(in)
	if err != nil {
		t.Fatal(err)
	}
	if got.DefaultRegion != "GB" {
		t.Fatalf("region = %q", got.DefaultRegion)
	}
	in.DefaultRegion = "ZZ"
	if _, err := s.SaveSettings(in); err == nil || !strings.Contains(err.Error(), "not a region") {
		t.Fatalf("SaveSettings(ZZ) = %v", err)
	}
	in.DefaultRegion = "US"
	in.MaxFileMB = 999
	if _, err := s.SaveSettings(in); err == nil || !strings.Contains(err.Error(), "were not saved") {
		t.Fatalf("SaveSettings(999 MB) = %v", err)
	}
	if l, _ := settings.Load(); l.DefaultRegion != "GB" || l.MaxFileMB != 100 {
		t.Fatalf("saved settings = %+v", l)
	}
}

func TestRegions(t *testing.T) {
	s, _, _ := newService(t)
	rs := s.Regions()
	found := map[string]int{}
	for _, r := range rs {
		found[r.Code] = r.CallingCode
	}
	if found["US"] != 1 || found["GB"] != 44 || found["AM"] != 374 || len(rs) < 200 {
		t.Fatalf("Regions: %d entries, US=%d GB=%d AM=%d", len(rs), found["US"], found["GB"], found["AM"])
	}
}

// Issue 9 item 17: InspectFile, a forgotten recent file and SaveSettings
// running at once must leave the settings file equal to the settings in
// memory, with every recent file and the last saved values; a copy taken
// before another writer's save must never be written over it.
func TestConcurrentSettingsWritesKeepEveryChange(t *testing.T) {
	s, _, _ := newService(t)
	dir := t.TempDir()
	for round := 0; round < 20; round++ {
		files := make([]string, settings.MaxRecentFiles-1)
		for i := range files {
			files[i] = filepath.Join(dir, fmt.Sprintf("r%d-f%d.csv", round, i))
			if err := os.WriteFile(files[i], []byte("email\na@example.com\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		missing := filepath.Join(dir, fmt.Sprintf("r%d-missing.csv", round))
		want := s.Settings()
		want.MaxFileMB = 10 + round
		var wg sync.WaitGroup
		for _, p := range files {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := s.InspectFile(p); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Add(2)
		go func() {
			defer wg.Done()
			if _, err := s.SaveSettings(want); err != nil {
				t.Error(err)
			}
		}()
		go func() {
			defer wg.Done()
			s.InspectFile(missing) // forgets it: the file does not exist
		}()
		wg.Wait()

		mem := s.Settings()
		disk, err := settings.Load()
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(disk, mem) {
			t.Fatalf("round %d: the settings file differs from the settings in use:\nfile   %+v\nmemory %+v", round, disk, mem)
		}
		if disk.MaxFileMB != want.MaxFileMB {
			t.Fatalf("round %d: saved max file size %d was lost, file has %d", round, want.MaxFileMB, disk.MaxFileMB)
		}
		for _, p := range files {
			if !contains(disk.RecentFiles, p) {
				t.Fatalf("round %d: recent file %s was lost: %v", round, filepath.Base(p), disk.RecentFiles)
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
