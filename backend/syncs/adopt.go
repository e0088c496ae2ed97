package syncs

// Adoption: taking an upload made outside a sync (the wizard's, the
// command line's) as the sync's record, so its next run sends only the
// difference. What both platforms share is here; what each checks of its
// upload is in adopt_tiktok.go and adopt_meta.go.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/destination"
	"github.com/audience-uploader/audience-uploader/backend/identifiers"
	"github.com/audience-uploader/audience-uploader/backend/osfile"
	"github.com/audience-uploader/audience-uploader/backend/privatefs"
	"github.com/audience-uploader/audience-uploader/backend/transform"
)

// ActionAdopt is the last run of a sync whose state was taken from an
// upload made outside it (the wizard's): nothing was sent by the sync.
const ActionAdopt = "adopt"

// AdoptRefusal says why an upload cannot become a sync's state; the sync
// is left as it was, and its next run replaces the audience as before.
type AdoptRefusal struct{ Reason string }

func (e *AdoptRefusal) Error() string { return e.Reason }

func refuse(format string, args ...any) error {
	return &AdoptRefusal{Reason: fmt.Sprintf(format, args...)}
}

// Adoption is what Adopt (or AdoptMeta) took over.
type Adoption struct {
	Sync       string    `json:"sync"`
	AudienceID string    `json:"audience_id"`
	JobID      string    `json:"job_id"`      // the upload job
	UploadedAt time.Time `json:"uploaded_at"` // when that job finished
	Rows       int64     `json:"rows"`
}

// IsAdoptRefusal reports whether err is an upload Adopt would not take.
func IsAdoptRefusal(err error) bool {
	var r *AdoptRefusal
	return errors.As(err, &r)
}

// beginAdopt loads sync name and takes its lock for an adoption of an
// upload to platform p: the sync must feed p, have no interrupted run and
// name an existing audience. The caller unlocks.
func (s *Service) beginAdopt(name string, p destination.Platform) (*Definition, func(), error) {
	d, err := s.loadDef(name)
	if err != nil {
		return nil, nil, err
	}
	if d.platform() != p {
		upTo := "TikTok"
		if p == destination.Meta {
			upTo = "Meta"
		}
		return nil, nil, refuse("sync %s feeds %s, and the upload went to %s, so it cannot be taken as the sync's record: its first run replaces the audience's contents", name, d.platformName(), upTo)
	}
	fl, err := s.lock(name)
	if err != nil {
		return nil, nil, err
	}
	if p, err := s.loadPending(name); err != nil || p != nil {
		fl.Unlock()
		if err == nil {
			err = refuse("sync %s has an interrupted run, which its next run finishes first; the upload was not taken as its record", name)
		}
		return nil, nil, err
	}
	if d.AudienceID == "" {
		fl.Unlock()
		return nil, nil, refuse("sync %s creates a new audience %q on its first run, so the upload (into an existing audience) is not its record", name, d.AudienceName)
	}
	return d, func() { fl.Unlock() }, nil
}

// keepAdopted makes st the sync's state, as the sync's own run would have
// written it: feed puts the upload's rows into a sorter (spilling into a
// run folder), and they become st's rows file, sorted and deduplicated,
// with their people counted as a run counts them. rec is its last run
// (At: when the upload of folder outDir finished).
func (s *Service) keepAdopted(ctx context.Context, name, outDir string, st *stateMeta, feed func(*sorter) error, rec *RunRecord) error {
	id := newRunID()
	work := filepath.Join(s.syncDir(name), "run-"+id)
	if err := privatefs.MkdirAll(work); err != nil {
		return err
	}
	defer osfile.RemoveDir(work)
	st.RowsFile = "rows-" + id + ".bin"
	path := filepath.Join(s.syncDir(name), st.RowsFile)
	so := newSorter(work, int(s.cfg.MemoryBytes/4))
	if err := feed(so); err != nil {
		so.free()
		return err
	}
	if err := ctx.Err(); err != nil {
		so.free()
		return err
	}
	sorted, closeSorted, err := so.finish()
	if err != nil {
		return err
	}
	defer closeSorted()
	// A list of up to exactPeopleRows rows has its people counted exactly,
	// as a run counts its list's (past that, a run's count too is the rows).
	kept := &keptRows{src: sorted, limit: exactPeopleRows}
	st.Rows, st.Identifiers, err = writeRowsFile(path, kept)
	if err == nil && st.Rows == 0 {
		os.Remove(path)
		err = refuse("the upload's files hold no rows")
	}
	if err != nil {
		return err
	}
	st.People = st.Rows
	if !kept.over {
		st.People = countPeople(kept.rows)
	}
	rec.RowsNow, rec.Added = st.Rows, st.People
	rec.Reason = fmt.Sprintf("took the upload of %s (%s, %d rows) into audience %s as what this sync has put into it; the next run sends only the difference",
		filepath.Base(outDir), rec.At.UTC().Format("2006-01-02 15:04 MST"), st.Rows, st.AudienceID)
	st.LastRun = rec
	if err := writeJSONFile(filepath.Join(s.syncDir(name), stateFile), st); err != nil {
		os.Remove(path)
		return err
	}
	return s.sweep(name, st, nil)
}

// keptRows passes src's rows on and keeps a copy of each, up to limit.
type keptRows struct {
	src   rowSource
	limit int
	rows  [][]byte
	over  bool
}

func (k *keptRows) next() ([]byte, error) {
	r, err := k.src.next()
	if err == nil && !k.over {
		if len(k.rows) == k.limit {
			k.over, k.rows = true, nil
		} else {
			k.rows = append(k.rows, bytes.Clone(r))
		}
	}
	return r, err
}

// typesDiffer names the identifier types of tm's mappings when they are
// not the sync's, in the sync's order ("" when they are).
func typesDiffer(d *Definition, tm *transform.Manifest) string {
	var want, got []string
	for _, mp := range d.Mappings {
		want = append(want, mp.Type.String())
	}
	for _, mp := range tm.Mappings {
		t, err := identifiers.ParseType(mp.TypeName)
		if err != nil {
			return fmt.Sprintf("an unknown identifier type %q", mp.TypeName)
		}
		got = append(got, t.String())
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		return fmt.Sprintf("the identifier types %s (the sync maps %s)", strings.Join(got, ", "), strings.Join(want, ", "))
	}
	return ""
}

// samePath compares two absolute paths as the OS resolves them.
func samePath(a, b string) bool {
	if a == b {
		return true
	}
	ra, err1 := filepath.EvalSymlinks(a)
	rb, err2 := filepath.EvalSymlinks(b)
	return err1 == nil && err2 == nil && ra == rb
}

// readRows turns each line of a transform output file (cells separated by
// sep) into a binary row; the bytes read also go to tee unless it is nil.
func readRows(path string, tee io.Writer, hasHeader bool, cols int, sep byte, so *sorter) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var r io.Reader = f
	if tee != nil {
		r = io.TeeReader(f, tee)
	}
	br := bufio.NewReaderSize(r, 1<<20)
	for n := 1; ; n++ {
		line, err := br.ReadSlice('\n')
		if err == io.EOF && len(line) == 0 {
			return nil
		}
		if err != nil && err != io.EOF {
			return fmt.Errorf("read %s: %w", filepath.Base(path), err)
		}
		line = bytes.TrimSuffix(line, []byte("\n"))
		if n == 1 && hasHeader {
			continue
		}
		if err := so.addLine(line, cols, sep); err != nil {
			return fmt.Errorf("%s line %d: %v", filepath.Base(path), n, err)
		}
	}
}

// firstLine returns a file's first line, newline included.
func firstLine(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("read %s: %w", filepath.Base(path), err)
	}
	return line, nil
}
