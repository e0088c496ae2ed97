package metacmd

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/audience-uploader/audience-uploader/backend/destination"
	"github.com/audience-uploader/audience-uploader/backend/transform"
)

// ReadRows reads a transform's manifest (or its folder) and checks its
// Meta rows file: the one the manifest names, a regular file in the
// manifest's folder, of the size and MD5 the manifest gives. A changed
// file is never sent.
func ReadRows(manifest string) (*Rows, error) {
	if st, err := os.Stat(manifest); err == nil && st.IsDir() {
		manifest = filepath.Join(manifest, transform.ManifestName)
	}
	abs, err := filepath.Abs(manifest)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(abs)
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	var m transform.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("read manifest %s: not valid JSON: %w", abs, err)
	}
	files := m.FilesFor(destination.Meta)
	if len(files) == 0 {
		if m.Meta != nil {
			return nil, fmt.Errorf("manifest %s lists no Meta rows: no row had a value Meta accepts (see its counters)", abs)
		}
		return nil, fmt.Errorf("manifest %s holds no rows for Meta: transform the list with --destination meta (or tiktok,meta) into a new folder", abs)
	}
	if len(files) > 1 {
		return nil, fmt.Errorf("manifest %s lists %d Meta files, a transform writes one: transform the list again", abs, len(files))
	}
	f := files[0]
	if f.Path != transform.MetaRowsName || len(f.Schema) == 0 {
		return nil, fmt.Errorf("manifest %s: the Meta file is %q with schema %v, a transform writes %s with a schema: transform the list again", abs, f.Path, f.Schema, transform.MetaRowsName)
	}
	path := filepath.Join(filepath.Dir(abs), f.Path)
	st, err := os.Lstat(path)
	if err != nil {
		return nil, fmt.Errorf("manifest %s: %w", abs, err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("manifest %s: %s is not a regular file (%s); only the file the transform wrote is sent", abs, path, st.Mode().Type())
	}
	if st.Size() != f.Bytes {
		return nil, fmt.Errorf("manifest %s: %s is %d bytes, the manifest says %d: the folder changed since the transform", abs, f.Path, st.Size(), f.Bytes)
	}
	sum, err := md5Of(path)
	if err != nil {
		return nil, fmt.Errorf("manifest %s: %w", abs, err)
	}
	if sum != f.MD5 {
		return nil, fmt.Errorf("manifest %s: %s changed since the transform (its MD5 is not the manifest's): transform the list again", abs, f.Path)
	}
	return &Rows{Path: path, RunID: m.RunID, MD5: sum, Schema: f.Schema, Rows: f.Rows}, nil
}
