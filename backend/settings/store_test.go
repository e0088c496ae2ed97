package settings

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
)

// Concurrent updates are applied one after the other to the latest
// settings: none is lost, and the file ends equal to what is in use.
func TestStoreConcurrentUpdatesKeepEveryChange(t *testing.T) {
	t.Setenv("AUDIENCE_UPLOADER_CONFIG_DIR", filepath.Join(t.TempDir(), "cfg"))
	st := NewStore()
	var wg sync.WaitGroup
	for i := range MaxRecentFiles {
		wg.Add(2)
		go func() {
			defer wg.Done()
			if _, err := st.Update(func(s *Settings) error { s.AddRecent(fmt.Sprintf("/f%d.csv", i)); return nil }); err != nil {
				t.Error(err)
			}
		}()
		go func() {
			defer wg.Done()
			if _, err := st.Update(func(s *Settings) error { s.Workers++; return nil }); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	got := st.Get()
	if len(got.RecentFiles) != MaxRecentFiles || got.Workers != MaxRecentFiles {
		t.Fatalf("after %d concurrent updates of each kind: %d recent files, workers %d", MaxRecentFiles, len(got.RecentFiles), got.Workers)
	}
	disk, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(disk, got) {
		t.Fatalf("file %+v\nmemory %+v", disk, got)
	}
}

func TestStoreFailedUpdateChangesNothing(t *testing.T) {
	t.Setenv("AUDIENCE_UPLOADER_CONFIG_DIR", filepath.Join(t.TempDir(), "cfg"))
	st := NewStore()
	before := st.Get()
	refused := errors.New("refused")
	got, err := st.Update(func(s *Settings) error { s.MaxFileMB = 7; s.AddRecent("/x.csv"); return refused })
	if !errors.Is(err, refused) || !reflect.DeepEqual(got, before) || !reflect.DeepEqual(st.Get(), before) {
		t.Fatalf("a refused change was kept: %+v, %v", st.Get(), err)
	}
	if p, _ := Path(); fileExists(p) {
		t.Error("a refused change was saved")
	}
	// Get hands out copies: changing one does not change the store.
	cp := st.Get()
	cp.RecentFiles = append(cp.RecentFiles, "/y.csv")
	if len(st.Get().RecentFiles) != 0 {
		t.Error("Get shares its recent files with the store")
	}
}

func TestStoreReportsUnreadableFileUntilSaved(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cfg")
	t.Setenv("AUDIENCE_UPLOADER_CONFIG_DIR", dir)
	os.MkdirAll(dir, 0o700)
	os.WriteFile(filepath.Join(dir, "settings.json"), []byte("{not json"), 0o600)
	st := NewStore()
	if st.LoadErr() == nil || st.Get().MaxFileMB != Default().MaxFileMB {
		t.Fatalf("broken file: LoadErr %v, settings %+v", st.LoadErr(), st.Get())
	}
	if _, err := st.Update(func(s *Settings) error { s.MaxFileMB = 20; return nil }); err != nil {
		t.Fatal(err)
	}
	if st.LoadErr() != nil {
		t.Errorf("LoadErr after a save = %v, want nil", st.LoadErr())
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
