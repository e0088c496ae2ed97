package upload_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/tiktok"
	"github.com/audience-uploader/audience-uploader/backend/upload"
)

// addFile adds an entry to a fixture's manifest.
func addFile(t *testing.T, manifest string, entry map[string]any, keepOthers bool) {
	t.Helper()
	b, err := os.ReadFile(manifest)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	files := []any{}
	if keepOthers {
		files = m["files"].([]any)
	}
	m["files"] = append(files, entry)
	b, _ = json.Marshal(m)
	if err := os.WriteFile(manifest, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// A manifest written for TikTok and Meta lists Meta's rows file too: the
// TikTok upload takes only TikTok's files, and a manifest for Meta alone
// is refused with a sentence saying why.
func TestManifestLeavesOutOtherPlatformsFiles(t *testing.T) {
	dir := t.TempDir()
	fx := writeManifest(t, dir, "m", "separate", []string{tiktok.EmailSHA256}, 2, 3)
	os.WriteFile(filepath.Join(dir, "meta-rows.tsv"), []byte("x\n"), 0o600)
	meta := map[string]any{"path": "meta-rows.tsv", "calculate_type": "", "rows": 1, "bytes": 2, "md5": "", "platform": "meta", "schema": []string{"EMAIL"}}
	addFile(t, fx.manifest, meta, true)
	m, err := upload.ReadManifest(fx.manifest)
	if err != nil {
		t.Fatalf("ReadManifest: %v", err)
	}
	if len(m.Files) != 2 || m.Rows("") != 6 {
		t.Fatalf("files %+v", m.Files)
	}
	for _, f := range m.Files {
		if f.CalculateType != tiktok.EmailSHA256 {
			t.Errorf("the upload took %s", f.Path)
		}
	}

	addFile(t, fx.manifest, meta, false)
	if _, err := upload.ReadManifest(fx.manifest); err == nil || !strings.Contains(err.Error(), "no TikTok files") {
		t.Fatalf("a Meta-only manifest: %v", err)
	}
}
