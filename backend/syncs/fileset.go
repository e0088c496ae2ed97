package syncs

import (
	"bufio"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/osfile"
	"github.com/audience-uploader/audience-uploader/backend/transform"
)

// fileSet writes rows as TikTok customer files: the same header, line
// format, size cap and manifest as the transform's output, so the upload
// checks and sends them like any transform folder. For a sync to Meta
// (a state of metaCalculateType) it writes one rows file instead, cells
// separated by tabs, no header and no manifest, as metaupload reads it.
type fileSet struct {
	meta          bool
	dir, prefix   string
	calculateType string
	header        []byte // "" for one-type files
	cols          int
	maxBytes      int64
	base          transform.Manifest  // layout, mappings, region, phone format
	counters      *transform.Counters // the manifest's counters (nil: the rows written only)

	files []transform.File
	f     *os.File
	w     *bufio.Writer
	md5   hash.Hash
	cur   transform.File
	line  []byte
	rows  int64
	bytes int64
}

func newFileSet(dir, prefix string, meta *stateMeta, base transform.Manifest, maxBytes int64) *fileSet {
	if meta.CalculateType == metaCalculateType {
		return &fileSet{meta: true, dir: dir, prefix: prefix, cols: meta.Columns, maxBytes: math.MaxInt64}
	}
	return &fileSet{dir: dir, prefix: prefix, calculateType: meta.CalculateType, header: []byte(meta.Header),
		cols: meta.Columns, maxBytes: maxBytes, base: base}
}

func (fs *fileSet) open() error {
	if err := os.MkdirAll(fs.dir, 0o700); err != nil {
		return err
	}
	name := fmt.Sprintf("%s-%05d.csv", fs.prefix, len(fs.files)+1)
	if fs.meta {
		name = metaRowsFile
	}
	f, err := os.OpenFile(filepath.Join(fs.dir, name), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	fs.f, fs.md5 = f, md5.New()
	fs.w = bufio.NewWriterSize(io.MultiWriter(f, fs.md5), 256<<10)
	fs.cur = transform.File{Path: name, CalculateType: fs.calculateType}
	if len(fs.header) > 0 {
		fs.w.Write(fs.header)
		fs.cur.Bytes = int64(len(fs.header))
	}
	return nil
}

func (fs *fileSet) add(row []byte) error {
	if fs.meta {
		fs.line = appendMetaLine(fs.line[:0], row, fs.cols)
	} else {
		fs.line = appendLine(fs.line[:0], row, fs.cols)
	}
	if fs.f != nil && fs.cur.Bytes+int64(len(fs.line)) > fs.maxBytes {
		if err := fs.closeFile(); err != nil {
			return err
		}
	}
	if fs.f == nil {
		if err := fs.open(); err != nil {
			return err
		}
	}
	fs.w.Write(fs.line)
	fs.cur.Bytes += int64(len(fs.line))
	fs.cur.Rows++
	fs.rows++
	fs.bytes += int64(len(fs.line))
	return nil
}

func (fs *fileSet) closeFile() error {
	if err := fs.w.Flush(); err != nil {
		fs.f.Close()
		return err
	}
	if err := fs.f.Sync(); err != nil {
		fs.f.Close()
		return err
	}
	if err := fs.f.Close(); err != nil {
		return err
	}
	fs.cur.MD5 = hex.EncodeToString(fs.md5.Sum(nil))
	fs.files = append(fs.files, fs.cur)
	fs.f = nil
	return nil
}

// finish closes the last file and writes manifest.json (with a new run
// id: the upload's job identity); it writes nothing when no row was added.
func (fs *fileSet) finish() error {
	if fs.f != nil {
		if err := fs.closeFile(); err != nil {
			return err
		}
	}
	if len(fs.files) == 0 || fs.meta {
		return nil
	}
	m := fs.base
	m.RunID = newRunID()
	m.CreatedAt = time.Now().UTC()
	m.Files = fs.files
	m.Counters = transform.Counters{RowsWritten: fs.rows}
	if fs.counters != nil {
		m.Counters = *fs.counters
	}
	m.Notes = nil
	return writeJSONFile(filepath.Join(fs.dir, transform.ManifestName), m)
}

// uploadBytes is the size of the files a full or partial upload sends.
func uploadBytes(files []transform.File) int64 {
	var n int64
	for _, f := range files {
		n += f.Bytes
	}
	return n
}

func newRunID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// writeJSONFile writes v to path atomically: a temporary file, fsync,
// rename, then the folder is fsynced so the rename survives a crash.
func writeJSONFile(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(path, append(b, '\n'))
}

func writeFileAtomic(path string, data []byte) error {
	return osfile.WriteFile(path, data, 0o600)
}
