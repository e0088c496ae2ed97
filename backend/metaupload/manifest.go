package metaupload

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"

	"github.com/audience-uploader/audience-uploader/backend/destination"
	"github.com/audience-uploader/audience-uploader/backend/transform"
)

// JournalName is the Meta upload journal's file in the data folder, one
// for the command line, the app's wizard and the syncs.
const JournalName = "meta-upload.db"

// What a manifest may lack for Meta; callers word the way out for their
// screen or command line.
var (
	ErrNotForMeta     = errors.New("holds no rows for Meta")
	ErrNoAcceptedRows = errors.New("lists no Meta rows: no row had a value Meta accepts (see its counters)")
)

// Rows is a transform's Meta rows file, checked against its manifest.
type Rows struct {
	Path   string
	RunID  string
	MD5    string
	Schema []string
	Rows   int64
}

// md5Of is the file's MD5, hex.
func md5Of(path string) (string, error) { return fileSum(path, md5.New()) }

// Fingerprint is the hex SHA-256 of a rows file: how the journal names the
// rows a job sends (JobRecord.RowsSHA256; a resume must find it unchanged).
func Fingerprint(path string) (string, error) { return fileSum(path, sha256.New()) }

func fileSum(path string, h hash.Hash) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

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
			return nil, fmt.Errorf("manifest %s %w", abs, ErrNoAcceptedRows)
		}
		return nil, fmt.Errorf("manifest %s %w", abs, ErrNotForMeta)
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

// JobID names an upload in the journal by the transform run, its rows
// file, the account, the action and the audience: the same upload asked
// again, from the command line or the app, resumes the journal's job (or
// finds it done) and never sends a batch twice or opens a second audience.
func JobID(r *Rows, acct string, action destination.Action, name, audienceID string) string {
	h := sha256.New()
	for _, s := range []string{r.RunID, r.MD5, acct, string(action), name, audienceID} {
		fmt.Fprintf(h, "%d:%s;", len(s), s)
	}
	return "meta-" + hex.EncodeToString(h.Sum(nil))[:24]
}
