package upload

import (
	"bufio"
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/identifiers"
)

// Manifest is the part of the transform's manifest.json an upload needs (the
// schema is backend/transform.Manifest; read here as plain JSON so uploading
// a folder made earlier, or elsewhere, needs no transform code).
type Manifest struct {
	Version int `json:"version"`
	// RunID names the transform run that wrote the folder: with the files'
	// MD5s it identifies the upload job wherever the folder is moved.
	// Empty in manifests written before it existed.
	RunID     string         `json:"run_id"`
	CreatedAt time.Time      `json:"created_at"`
	Input     string         `json:"input"`
	Layout    string         `json:"layout"`
	Mappings  []Mapping      `json:"mappings"`
	Files     []ManifestFile `json:"files"`

	path string // the manifest, absolute
	dir  string // its folder
}

// Mapping is one mapped source column; only its identifier type is used
// here (the column name may be anything the customer's list had).
type Mapping struct {
	Type string `json:"type"`
}

// ManifestFile is one hashed output file; Path is relative to the manifest
// in manifest.json and absolute after ReadManifest.
type ManifestFile struct {
	Path          string `json:"path"`
	CalculateType string `json:"calculate_type"`
	Rows          int64  `json:"rows"`
	Bytes         int64  `json:"bytes"`
	MD5           string `json:"md5"`
	// Platform is the destination the file is for: "" (older manifests)
	// or "tiktok" are TikTok's; ReadManifest leaves out the others
	// (Meta's rows file, which metaupload delivers).
	Platform string `json:"platform,omitempty"`
}

var knownTypes = map[string]bool{"EMAIL_SHA256": true, "PHONE_SHA256": true, "IDFA_SHA256": true, "GAID_SHA256": true, "MULTIPLE_TYPES": true}

// combinedColumns are the MULTIPLE_TYPES header names TikTok publishes.
var combinedColumns = map[string]bool{"Email_SHA256": true, "Phone_SHA256": true, "MAID_SHA256": true}

// maxSameColumn is how often TikTok accepts one combined header name.
const maxSameColumn = 3

// ReadManifest reads and checks a manifest; file paths in the result are
// absolute. Every file must be a regular file inside the manifest's folder
// (no symlink anywhere on the way) of the size the manifest gives; the
// contents are checked by VerifyFiles.
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
	all := len(m.Files)
	m.Files = slices.DeleteFunc(m.Files, func(f ManifestFile) bool { return f.Platform != "" && f.Platform != "tiktok" })
	if len(m.Files) == 0 && all > 0 {
		return nil, fmt.Errorf("manifest %s lists no TikTok files: the list was transformed for another destination only; transform it again with TikTok among the destinations", abs)
	}
	if len(m.Files) == 0 {
		return nil, fmt.Errorf("manifest %s lists no files: the transform wrote no valid identifiers", abs)
	}
	m.path, m.dir = abs, filepath.Dir(abs)
	// The folder as the OS resolves it: a file whose resolved path is not
	// directly under it went through a symlink.
	realDir, err := filepath.EvalSymlinks(m.dir)
	if err != nil {
		return nil, fmt.Errorf("read manifest %s: %w", abs, err)
	}
	seen := map[string]bool{}
	for i := range m.Files {
		f := &m.Files[i]
		if !knownTypes[f.CalculateType] {
			return nil, fmt.Errorf("manifest %s: file %s has unknown calculate_type %q", abs, f.Path, f.CalculateType)
		}
		rel := filepath.Clean(filepath.FromSlash(f.Path))
		if f.Path == "" || filepath.IsAbs(rel) || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.VolumeName(rel) != "" {
			return nil, fmt.Errorf("manifest %s: file path %q must be inside the manifest's folder; refusing to upload it", abs, f.Path)
		}
		if seen[rel] {
			return nil, fmt.Errorf("manifest %s: file %s is listed twice; refusing to upload it", abs, f.Path)
		}
		seen[rel] = true
		if !md5Hex(f.MD5) {
			return nil, fmt.Errorf("manifest %s: file %s has no valid MD5 (%q); transform the list again", abs, f.Path, f.MD5)
		}
		f.MD5 = strings.ToLower(f.MD5)
		f.Path = filepath.Join(m.dir, rel)
		st, err := os.Lstat(f.Path)
		if err != nil {
			return nil, fmt.Errorf("manifest %s: %w", abs, err)
		}
		if !st.Mode().IsRegular() {
			return nil, fmt.Errorf("manifest %s: %s is not a regular file (%s); only the files the transform wrote are uploaded, never a symlink or device: transform the list again", abs, f.Path, st.Mode().Type())
		}
		real, err := filepath.EvalSymlinks(f.Path)
		if err != nil {
			return nil, fmt.Errorf("manifest %s: %w", abs, err)
		}
		if real != filepath.Join(realDir, rel) {
			return nil, fmt.Errorf("manifest %s: %s is reached through a symlink (it resolves to %s); only files inside the manifest's folder are uploaded: transform the list again", abs, f.Path, real)
		}
		if f.Bytes > 0 && st.Size() != f.Bytes {
			return nil, fmt.Errorf("manifest %s: %s is %d bytes, the manifest says %d: the folder changed since the transform", abs, filepath.Base(f.Path), st.Size(), f.Bytes)
		}
		f.Bytes = st.Size()
	}
	return &m, nil
}

func md5Hex(s string) bool {
	if len(s) != 32 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
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

// combinedHeader is the header line the manifest's mappings declare for a
// MULTIPLE_TYPES file, or "" when the manifest lists no mappings (then any
// header of TikTok's column names is accepted).
func (m *Manifest) combinedHeader() (string, error) {
	if len(m.Mappings) == 0 {
		return "", nil
	}
	var cols []string
	for _, mp := range m.Mappings {
		t, err := identifiers.ParseType(mp.Type)
		if err != nil {
			return "", fmt.Errorf("manifest in %s: %w", m.dir, err)
		}
		cols = append(cols, t.CombinedColumn())
	}
	return strings.Join(cols, ","), nil
}

// fileStamp is what a verified file looked like on disk; a file whose
// stamp differs right before its upload changed after it was checked.
type fileStamp struct {
	size    int64
	modTime time.Time
	info    os.FileInfo
}

func stampOf(fi os.FileInfo) fileStamp {
	return fileStamp{size: fi.Size(), modTime: fi.ModTime(), info: fi}
}

func (s fileStamp) same(fi os.FileInfo) bool {
	return fi.Mode().IsRegular() && fi.Size() == s.size && fi.ModTime().Equal(s.modTime) && os.SameFile(fi, s.info)
}

// VerifyFiles reads every file of the manifest before any byte goes to
// TikTok: each line must be a hash row of the file's calculate_type (a
// MULTIPLE_TYPES file starts with the header its columns declare), the row
// count and MD5 must be the manifest's. Errors name the file and line but
// never quote the line: a hand-edited file may hold raw identifiers.
func (m *Manifest) VerifyFiles() (map[int]fileStamp, error) {
	header, err := m.combinedHeader()
	if err != nil {
		return nil, err
	}
	stamps := make(map[int]fileStamp, len(m.Files))
	buf := make([]byte, 256<<10)
	for i, f := range m.Files {
		st, err := verifyFile(f, header, buf)
		if err != nil {
			return nil, fmt.Errorf("%w: refusing to upload %s; nothing was sent. Transform the list again into a new folder", err, f.Path)
		}
		stamps[i] = st
	}
	return stamps, nil
}

func verifyFile(f ManifestFile, header string, buf []byte) (fileStamp, error) {
	fd, err := os.OpenFile(f.Path, os.O_RDONLY|noFollow, 0)
	if err != nil {
		return fileStamp{}, fmt.Errorf("open %s: %w", f.Path, err)
	}
	defer fd.Close()
	fi, err := fd.Stat()
	if err != nil {
		return fileStamp{}, err
	}
	if !fi.Mode().IsRegular() {
		return fileStamp{}, fmt.Errorf("%s is not a regular file", f.Path)
	}
	sum := md5.New()
	br := bufio.NewReaderSize(io.TeeReader(fd, sum), len(buf))
	name := filepath.Base(f.Path)
	var rows, line int64
	cols := 0
	for {
		raw, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			return fileStamp{}, fmt.Errorf("%s line %d is far longer than a row of hashes", name, line+1)
		}
		if err != nil && err != io.EOF {
			return fileStamp{}, fmt.Errorf("read %s: %w", name, err)
		}
		if len(raw) > 0 {
			line++
			b := bytes.TrimSuffix(raw, []byte("\n"))
			switch {
			case f.CalculateType == "MULTIPLE_TYPES" && line == 1:
				if cols, err = checkHeader(string(b), header); err != nil {
					return fileStamp{}, fmt.Errorf("%s line 1: %w", name, err)
				}
			case f.CalculateType == "MULTIPLE_TYPES":
				if !combinedRow(b, cols) {
					return fileStamp{}, fmt.Errorf("%s line %d is not a row of %d comma-separated SHA-256 hashes (64 lowercase hex characters or empty, at least one)", name, line, cols)
				}
				rows++
			default:
				if !isHash(b) {
					return fileStamp{}, fmt.Errorf("%s line %d is not a SHA-256 hash (64 lowercase hex characters) as %s needs", name, line, f.CalculateType)
				}
				rows++
			}
		}
		if err == io.EOF {
			break
		}
	}
	if f.CalculateType == "MULTIPLE_TYPES" && line == 0 {
		return fileStamp{}, fmt.Errorf("%s has no header row", name)
	}
	if rows == 0 {
		return fileStamp{}, fmt.Errorf("%s has no rows", name)
	}
	if f.Rows > 0 && rows != f.Rows {
		return fileStamp{}, fmt.Errorf("%s has %d rows, the manifest says %d", name, rows, f.Rows)
	}
	if got := hex.EncodeToString(sum.Sum(nil)); got != f.MD5 {
		return fileStamp{}, fmt.Errorf("%s has MD5 %s, the manifest says %s: the file changed since the transform", name, got, f.MD5)
	}
	return stampOf(fi), nil
}

// checkHeader accepts exactly the declared header, or (no declaration) any
// header of TikTok's column names, each at most maxSameColumn times.
func checkHeader(got, want string) (int, error) {
	names := strings.Split(got, ",")
	if want != "" {
		if got != want {
			return 0, fmt.Errorf("the header is not %s, the columns the manifest declares", want)
		}
		return len(names), nil
	}
	count := map[string]int{}
	for _, n := range names {
		if !combinedColumns[n] {
			return 0, errors.New("the header is not made of TikTok's column names Email_SHA256, Phone_SHA256 and MAID_SHA256")
		}
		if count[n]++; count[n] > maxSameColumn {
			return 0, fmt.Errorf("the header names %s more than %d times", n, maxSameColumn)
		}
	}
	return len(names), nil
}

func combinedRow(b []byte, cols int) bool {
	n, ids := 0, 0
	for field := range bytes.SplitSeq(b, []byte(",")) {
		n++
		if len(field) == 0 {
			continue
		}
		if !isHash(field) {
			return false
		}
		ids++
	}
	return n == cols && ids > 0
}

func isHash(b []byte) bool {
	if len(b) != 64 {
		return false
	}
	for _, c := range b {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
