package syncs

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/audience-uploader/audience-uploader/backend/osfile"
)

// The state as sorted runs (like an LSM tree): a base rows file, written
// whole now and then, and one delta per run since, each a sorted file of
// the rows the run added and one of the rows it removed. A run therefore
// writes bytes in proportion to what changed; when the deltas grow past a
// bound (compactRuns of them, or 1/compactShare of the base's bytes) the
// run merges them into a new base after its commit, so a state never
// holds much more than its rows: at most 33·(1+1/12)/(1−1/12) ≈ 39 bytes
// per identifier, where the base alone holds 33.
//
// The logical state is the same set of rows the rows and links files of
// earlier versions held (state_runs_test.go checks it against that store).
// A state those versions wrote (rows_file and links_file, no deltas) is read
// as a base and one delta that adds the links; the first run's commit
// writes it in this form.

// deltaRun is one run's change to the state; either file may be absent.
type deltaRun struct {
	Add string `json:"add,omitempty"` // rows the run added (in the list, not in the state)
	Del string `json:"del,omitempty"` // rows the run removed (their people left, or a REPLACE dropped them)
}

// Compaction bounds (variables so that tests can force either path).
var (
	compactRuns  = 8
	compactShare = 12
)

// layer is one sorted file over the base: its rows are added, or removed.
type layer struct {
	file string // relative to the sync's folder, or absolute
	del  bool
}

// layers are the state's files over its base, oldest first.
func (st *stateMeta) layers() []layer {
	var ls []layer
	if st.LinksFile != "" {
		ls = append(ls, layer{file: st.LinksFile})
	}
	for _, d := range st.Deltas {
		if d.Add != "" {
			ls = append(ls, layer{file: d.Add})
		}
		if d.Del != "" {
			ls = append(ls, layer{file: d.Del, del: true})
		}
	}
	return ls
}

// files are every file of the state, base first.
func (st *stateMeta) files() []string {
	out := []string{st.RowsFile}
	for _, l := range st.layers() {
		out = append(out, l.file)
	}
	return out
}

// openState returns the state's rows, sorted, and a function that closes them.
func (s *Service) openState(name string, st *stateMeta) (rowSource, func(), error) {
	src, closeAll, err := openLayers(s.syncDir(name), st.RowsFile, st.layers())
	if err != nil {
		return nil, nil, fmt.Errorf("the sync's state (%s) is damaged (%v): nothing was sent; delete the sync and save it again (its next run then replaces the audience's contents)", st.RowsFile, err)
	}
	return src, closeAll, nil
}

// openLayers reads base with ls applied over it, oldest first: a row is in
// the result when the newest file holding it adds it (the base adds all
// of its own).
func openLayers(dir, base string, ls []layer) (rowSource, func(), error) {
	var files []*os.File
	closeAll := func() {
		for _, f := range files {
			f.Close()
		}
	}
	open := func(name string) (rowSource, error) {
		if !filepath.IsAbs(name) {
			name = filepath.Join(dir, name)
		}
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
		return newBlockRows(f), nil
	}
	var b rowSource = emptyRows{}
	if base != "" {
		var err error
		if b, err = open(base); err != nil {
			closeAll()
			return nil, nil, err
		}
	}
	if len(ls) == 0 {
		return b, closeAll, nil
	}
	ops := &deltaOps{}
	for gen, l := range ls {
		src, err := open(l.file)
		if err == nil {
			err = ops.h.push(src, gen, !l.del, false)
		}
		if err != nil {
			closeAll()
			return nil, nil, err
		}
	}
	ops.h.init()
	return &layered{base: b, ops: ops, needB: true, needO: true}, closeAll, nil
}

// deltaOps merges the delta files into one sorted stream of rows, each
// with the verdict of the newest file that holds it.
type deltaOps struct {
	h    rowHeap
	last []byte
}

// next returns the next row (valid until the following call) and whether
// it is in the state, or io.EOF.
func (o *deltaOps) next() ([]byte, bool, error) {
	if len(o.h) == 0 {
		return nil, false, io.EOF
	}
	o.last = append(o.last[:0], o.h[0].row...)
	present := o.h[0].present
	if err := o.h.advance(); err != nil {
		return nil, false, err
	}
	for len(o.h) > 0 && bytes.Equal(o.h[0].row, o.last) {
		if err := o.h.advance(); err != nil {
			return nil, false, err
		}
	}
	return o.last, present, nil
}

// layered is the base merged with the deltas' verdicts.
type layered struct {
	base         rowSource
	ops          *deltaOps
	b, o         []byte
	present      bool
	berr, oerr   error
	needB, needO bool // read the next row of base, of ops, before comparing
}

func (l *layered) next() ([]byte, error) {
	for {
		if l.needB {
			l.b, l.berr = l.base.next()
			l.needB = false
		}
		if l.needO {
			l.o, l.present, l.oerr = l.ops.next()
			l.needO = false
		}
		if l.berr != nil && l.berr != io.EOF {
			return nil, l.berr
		}
		if l.oerr != nil && l.oerr != io.EOF {
			return nil, l.oerr
		}
		c := 0
		switch {
		case l.berr == io.EOF && l.oerr == io.EOF:
			return nil, io.EOF
		case l.oerr == io.EOF:
			c = -1
		case l.berr == io.EOF:
			c = 1
		default:
			c = bytes.Compare(l.b, l.o)
		}
		switch {
		case c < 0:
			l.needB = true
			return l.b, nil
		case c > 0:
			l.needO = true
			if l.present {
				return l.o, nil
			}
		default:
			l.needB, l.needO = true, true
			if l.present {
				return l.b, nil
			}
		}
	}
}

// scanState calls fn with every row of the state (in order; valid during the call).
func (s *Service) scanState(name string, st *stateMeta) func(fn func(row []byte)) error {
	return func(fn func(row []byte)) error {
		src, closeState, err := openLayers(s.syncDir(name), st.RowsFile, st.layers())
		if err != nil {
			return err
		}
		defer closeState()
		for {
			row, err := src.next()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			fn(row)
		}
	}
}

// Files a run writes in its folder for the state it commits.
const (
	runRowsFile = "rows.bin" // a new base: the whole list (no trusted state to add to)
	runAddFile  = "add.bin"  // the delta's added rows
	runDelFile  = "del.bin"  // the delta's removed rows
	runGoneFile = "gone.bin" // every state row not in the list (sorted): a REPLACE's list is the state without them
)

// deltaWriter writes a run's delta while the diff merges the list with a
// trusted state: the rows only in the list, and the rows only in the state
// (which the people analysis then splits into removed and kept).
type deltaWriter struct {
	dir       string
	add, gone *rowsWriter
	del       *rowsWriter
	allGone   bool // every row only in the state is removed (a REPLACE past the memory budget)
}

// newDeltaWriter starts a delta in dir; with keepGone (add-only) no row of
// the state is ever removed, so none is written down.
func newDeltaWriter(dir string, keepGone bool) (*deltaWriter, error) {
	dw := &deltaWriter{dir: dir, gone: countRows(), del: countRows()}
	var err error
	if dw.add, err = createRows(filepath.Join(dir, runAddFile)); err != nil {
		return nil, err
	}
	if !keepGone {
		if dw.gone, err = createRows(filepath.Join(dir, runGoneFile)); err == nil {
			dw.del, err = createRows(filepath.Join(dir, runDelFile))
		}
	}
	if err != nil {
		dw.abandon()
		return nil, err
	}
	return dw, nil
}

// added: a row only in the list, so the state gains it.
func (dw *deltaWriter) added(row []byte) {
	if dw != nil {
		dw.add.add(row)
	}
}

// stateOnly: a row only in the state.
func (dw *deltaWriter) stateOnly(row []byte) {
	if dw != nil {
		dw.gone.add(row)
	}
}

// removed: a row only in the state whose person left (call in row order).
func (dw *deltaWriter) removed(row []byte) {
	if dw != nil && !dw.allGone {
		dw.del.add(row)
	}
}

// removeAllGone makes every row only in the state a removed one.
func (dw *deltaWriter) removeAllGone() {
	if dw != nil {
		dw.allGone = true
	}
}

func (dw *deltaWriter) abandon() {
	for _, w := range []*rowsWriter{dw.add, dw.gone, dw.del} {
		if w != nil {
			w.abandon()
		}
	}
}

// finish closes the delta's files and sets meta to the state st plus the
// delta: the files to move into the sync's folder (run folder name → state
// file name) before the run's pending state names them.
func (dw *deltaWriter) finish(meta, st *stateMeta, runID string) (map[string]string, error) {
	for _, w := range []*rowsWriter{dw.add, dw.gone, dw.del} {
		if err := w.close(false); err != nil {
			return nil, err
		}
	}
	meta.RowsFile, meta.LinksFile = st.RowsFile, ""
	meta.Deltas = append([]deltaRun(nil), st.Deltas...)
	if st.LinksFile != "" {
		// A state of an earlier version: its links become the oldest delta.
		meta.Deltas = append([]deltaRun{{Add: st.LinksFile}}, meta.Deltas...)
	}
	d, moves := deltaRun{}, map[string]string{}
	if dw.add.rows > 0 {
		d.Add = "rows-" + runID + "-add.bin"
		moves[runAddFile] = d.Add
	}
	switch del := runDelFile; {
	case dw.allGone && dw.gone.rows > 0:
		del = runGoneFile
		fallthrough
	case !dw.allGone && dw.del.rows > 0:
		d.Del = "rows-" + runID + "-del.bin"
		moves[del] = d.Del
	}
	if d != (deltaRun{}) {
		meta.Deltas = append(meta.Deltas, d)
	}
	return moves, nil
}

// listRows returns the list's rows of a real run, sorted: the whole list
// that a CREATE or REPLACE sends. Without a trusted state the run wrote them
// as rows.bin; with one, they are the state plus the added rows less every
// row only in the state.
func (w *work) listRows(sdir string, st *stateMeta) (rowSource, func(), error) {
	if w.delta == nil {
		return openLayers(w.dir, runRowsFile, nil)
	}
	ls := append(st.layers(), layer{file: filepath.Join(w.dir, runAddFile)})
	if w.delta.gone.f != nil {
		ls = append(ls, layer{file: filepath.Join(w.dir, runGoneFile), del: true})
	}
	return openLayers(sdir, st.RowsFile, ls)
}

// keepNewState moves the files of the state a run commits from its folder
// into the sync's, each flushed to disk first (the folder too): the pending
// run written next names them.
func (s *Service) keepNewState(name string, w *work) error {
	for from, to := range w.stateMoves {
		p := filepath.Join(w.dir, from)
		if err := osfile.Flush(p); err != nil {
			return err
		}
		if err := osfile.Replace(p, filepath.Join(s.syncDir(name), to)); err != nil {
			return err
		}
	}
	return nil
}

// needsCompaction reports whether the state's deltas passed their bounds.
func (s *Service) needsCompaction(name string, st *stateMeta) bool {
	ls := st.layers()
	if len(ls) == 0 {
		return false
	}
	if len(st.Deltas) > compactRuns {
		return true
	}
	size := func(f string) int64 {
		info, err := os.Stat(filepath.Join(s.syncDir(name), f))
		if err != nil {
			return 0
		}
		return info.Size()
	}
	var deltas int64
	for _, l := range ls {
		deltas += size(l.file)
	}
	return deltas*int64(compactShare) > size(st.RowsFile)
}

// compact merges a committed state's deltas into a new base when they
// passed their bounds: written and flushed beside the state, then named by
// a new state.json, so a crash at any point leaves the old state or the
// new one (an unnamed file is swept by the next run). st becomes the new
// state. A failure leaves the committed state as it is (it is whole
// either way), and the next commit tries again.
func (s *Service) compact(name string, st *stateMeta) error {
	if !s.needsCompaction(name, st) {
		return nil
	}
	dir := s.syncDir(name)
	next := *st
	next.RowsFile, next.LinksFile, next.Deltas = "rows-"+newRunID()+".bin", "", nil
	src, closeState, err := s.openState(name, st)
	if err != nil {
		return err
	}
	_, _, err = writeRowsFile(filepath.Join(dir, next.RowsFile), src)
	closeState()
	if err != nil {
		return err
	}
	if err := writeJSONFile(filepath.Join(dir, stateFile), &next); err != nil {
		os.Remove(filepath.Join(dir, next.RowsFile))
		return err
	}
	*st = next
	return s.sweep(name, st, nil)
}

// stateBytes is the bytes of a state's files (for the bench's figures).
func (s *Service) stateBytes(name string, st *stateMeta) int64 {
	var n int64
	for _, f := range st.files() {
		if info, err := os.Stat(filepath.Join(s.syncDir(name), f)); err == nil {
			n += info.Size()
		}
	}
	return n
}
