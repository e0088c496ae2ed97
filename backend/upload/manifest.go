package upload

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Manifest is the part of the transform's manifest.json an upload needs (the
// schema is backend/transform.Manifest; read here as plain JSON so uploading
// a folder made earlier, or elsewhere, needs no transform code).
type Manifest struct {
	Version   int            `json:"version"`
	CreatedAt time.Time      `json:"created_at"`
	Input     string         `json:"input"`
	Layout    string         `json:"layout"`
	Files     []ManifestFile `json:"files"`
}

// ManifestFile is one hashed output file; Path is relative to the manifest.
type ManifestFile struct {
	Path          string `json:"path"`
	CalculateType string `json:"calculate_type"`
	Rows          int64  `json:"rows"`
	Bytes         int64  `json:"bytes"`
	MD5           string `json:"md5"`
}

var knownTypes = map[string]bool{"EMAIL_SHA256": true, "PHONE_SHA256": true, "IDFA_SHA256": true, "GAID_SHA256": true, "MULTIPLE_TYPES": true}

// ReadManifest reads and checks a manifest; file paths in the result are
// absolute.
func ReadManifest(path string) (*Manifest, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("read manifest %s: %w", path, err)
	}
	b, err := os.ReadFile(abs)
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("read manifest %s: not valid JSON: %w", abs, err)
	}
	if len(m.Files) == 0 {
		return nil, fmt.Errorf("manifest %s lists no files: the transform wrote no valid identifiers", abs)
	}
	dir := filepath.Dir(abs)
	for i := range m.Files {
		f := &m.Files[i]
		if !knownTypes[f.CalculateType] {
			return nil, fmt.Errorf("manifest %s: file %s has unknown calculate_type %q", abs, f.Path, f.CalculateType)
		}
		if f.Path == "" || filepath.IsAbs(f.Path) || strings.Contains(filepath.ToSlash(f.Path), "../") {
			return nil, fmt.Errorf("manifest %s: file path %q must be relative to the manifest's folder", abs, f.Path)
		}
		f.Path = filepath.Join(dir, f.Path)
		st, err := os.Stat(f.Path)
		if err != nil {
			return nil, fmt.Errorf("manifest %s: %w", abs, err)
		}
		if f.Bytes > 0 && st.Size() != f.Bytes {
			return nil, fmt.Errorf("manifest %s: %s is %d bytes, the manifest says %d: the folder changed since the transform", abs, filepath.Base(f.Path), st.Size(), f.Bytes)
		}
		f.Bytes = st.Size()
	}
	return &m, nil
}

// Rows is the total row count of the files of one calculate type ("" = all).
func (m *Manifest) Rows(calc string) int64 {
	var n int64
	for _, f := range m.Files {
		if calc == "" || f.CalculateType == calc {
			n += f.Rows
		}
	}
	return n
}

// CalculateTypes lists the manifest's types in first-seen order.
func (m *Manifest) CalculateTypes() []string {
	var out []string
	seen := map[string]bool{}
	for _, f := range m.Files {
		if !seen[f.CalculateType] {
			seen[f.CalculateType] = true
			out = append(out, f.CalculateType)
		}
	}
	return out
}
