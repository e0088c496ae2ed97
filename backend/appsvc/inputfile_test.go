package appsvc

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/settings"
)

func TestInspectFileAndRecent(t *testing.T) {
	s, _, _ := newService(t)
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.csv")
	os.WriteFile(empty, nil, 0o600)
	tests := []struct {
		name, path, wantErr string
	}{
		{"empty path", "", "No file was chosen"},
		{"relative", "x.csv", "not a full path"},
		{"missing", filepath.Join(dir, "missing.csv"), "does not exist"},
		{"folder with no data file", dir, "holds no data files"},
		{"empty file", empty, "is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.InspectFile(tt.path)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("InspectFile(%q) = %v, want %q", tt.path, err, tt.wantErr)
			}
		})
	}
	p := sample(t)
	fi, err := s.InspectFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Name != "customers-sample.csv" || fi.Size == 0 || fi.EstimatedRows != 38 {
		t.Fatalf("InspectFile = %+v, want 38 estimated rows", fi)
	}
	rec := s.RecentFiles()
	if len(rec) != 1 || rec[0].Path != p || !rec[0].Exists {
		t.Fatalf("RecentFiles = %+v", rec)
	}
	// The recent list survives a restart.
	if loaded, _ := settings.Load(); len(loaded.RecentFiles) != 1 {
		t.Fatalf("recent files not saved: %+v", loaded.RecentFiles)
	}
}
