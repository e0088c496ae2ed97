package syncs

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/audience-uploader/audience-uploader/backend/bigmem"
)

// A row is what a sync puts into an audience: one line of the transform's
// output. On disk (state, spill runs) it is binary, not hex:
//
//	mask  uint16 big-endian: bit i set when column i holds a hash
//	hash  32 bytes per set bit, in column order
//
// so a row of k identifiers takes 2+32k bytes (34 for one, 33 each for
// two): the state stays under 36 bytes per identifier, and every removed
// row's line can be written again from it, which TikTok's REMOVE needs.
// Rows compare as byte strings; any total order works as long as the state
// and the new list use the same one.

const (
	hashLen    = 32
	maxColumns = 16
)

// rowLen is the length of the row starting with mask.
func rowLen(mask uint16) int { return 2 + hashLen*bits.OnesCount16(mask) }

// parseLine turns one output line (without '\n') of cols columns into a
// row appended to dst.
func parseLine(dst, line []byte, cols int) ([]byte, error) { return parseCells(dst, line, cols, ',') }

// parseCells is parseLine for cells separated by sep (',' in TikTok's
// files, '\t' in Meta's rows file).
func parseCells(dst, line []byte, cols int, sep byte) ([]byte, error) {
	start := len(dst)
	dst = append(dst, 0, 0)
	var mask uint16
	col := 0
	for {
		i := bytes.IndexByte(line, sep)
		field := line
		if i >= 0 {
			field = line[:i]
		}
		if col >= cols {
			return dst[:start], errors.New("more fields than the header has")
		}
		switch len(field) {
		case 0:
		case 2 * hashLen:
			var h [hashLen]byte
			if _, err := hex.Decode(h[:], field); err != nil {
				return dst[:start], errors.New("a field is not a hex SHA-256 hash")
			}
			mask |= 1 << col
			dst = append(dst, h[:]...)
		default:
			return dst[:start], errors.New("a field is not a hex SHA-256 hash")
		}
		col++
		if i < 0 {
			break
		}
		line = line[i+1:]
	}
	if col != cols {
		return dst[:start], errors.New("fewer fields than the header has")
	}
	if mask == 0 {
		return dst[:start], errors.New("a row without an identifier")
	}
	binary.BigEndian.PutUint16(dst[start:], mask)
	return dst, nil
}

// appendLine writes row as an output line ("hex,,hex\n") of cols columns.
func appendLine(dst, row []byte, cols int) []byte { return appendCells(dst, row, cols, ',') }

// appendMetaLine writes row as a line of Meta's rows file ("hex\t\thex\n",
// metaupload's RowsPath) of cols cells.
func appendMetaLine(dst, row []byte, cols int) []byte { return appendCells(dst, row, cols, '\t') }

func appendCells(dst, row []byte, cols int, sep byte) []byte {
	mask := binary.BigEndian.Uint16(row)
	p := 2
	for c := 0; c < cols; c++ {
		if c > 0 {
			dst = append(dst, sep)
		}
		if mask&(1<<c) != 0 {
			dst = hex.AppendEncode(dst, row[p:p+hashLen])
			p += hashLen
		}
	}
	return append(dst, '\n')
}

// blockRows reads a rows file in large blocks and slices rows out of them
// (the state and the sort's runs are read whole on every run: no per-row
// reads).
type blockRows struct {
	r        io.Reader
	buf      []byte
	pos, end int
	err      error // the reader's, once it has none left
}

func newBlockRows(r io.Reader) *blockRows { return newBlockRowsSize(r, 1<<20) }

func newBlockRowsSize(r io.Reader, size int) *blockRows {
	return &blockRows{r: r, buf: make([]byte, size)}
}

func (b *blockRows) next() ([]byte, error) {
	for {
		if b.end-b.pos >= 2 {
			n := rowLen(binary.BigEndian.Uint16(b.buf[b.pos:]))
			if b.end-b.pos >= n {
				row := b.buf[b.pos : b.pos+n]
				b.pos += n
				return row, nil
			}
		}
		if b.err != nil {
			if b.err == io.EOF && b.pos < b.end {
				return nil, errors.New("a row file ends in the middle of a row")
			}
			return nil, b.err
		}
		b.end = copy(b.buf, b.buf[b.pos:b.end])
		b.pos = 0
		m, err := io.ReadAtLeast(b.r, b.buf[b.end:], 1)
		b.end += m
		if err != nil {
			b.err = err
		}
	}
}

// sorter sorts rows with a bounded amount of memory: rows gather in an
// arena until it reaches the budget, are sorted and written as a run file,
// and the runs are merged at the end (like the transform's dedup spill).
type sorter struct {
	id     int // names its spill files apart from other sorters'
	dir    string
	budget int
	arena  []byte
	mem    *bigmem.Block // the arena's memory
	offs   []sortKey
	tmp    []sortKey // the radix sort's other buffer
	runs   []string
}

// sortKey is a row's first 8 bytes as a number (the mask and 6 bytes of
// its first hash: almost always enough to order two rows) and where the
// row is in the arena: sorting these compact keys is cache-friendly.
type sortKey struct {
	prefix uint64
	off    int32
}

func newSorter(dir string, budget int) *sorter {
	// The arena and the keys are allocated once at their full size:
	// growing them by appends would copy them again and again. The arena
	// is on huge pages: it is read in sorted order, a row at random each,
	// and with 4 KiB pages most of those reads also miss the translation
	// cache.
	mem := bigmem.Alloc(budget + 2 + hashLen*maxColumns)
	keys := budget / (2 + 2*hashLen)
	return &sorter{dir: dir, budget: budget, arena: mem.Bytes[:0], mem: mem,
		offs: make([]sortKey, 0, keys), tmp: make([]sortKey, keys)}
}

// free returns the arena's memory; the sorter's rows are gone after it.
func (s *sorter) free() {
	s.mem.Free()
	s.arena, s.offs = nil, nil
}

// addLine parses an output line (cells separated by sep) straight into
// the arena.
func (s *sorter) addLine(line []byte, cols int, sep byte) error {
	if len(s.arena)+2+hashLen*cols > s.budget && len(s.offs) > 0 {
		if err := s.spill(); err != nil {
			return err
		}
	}
	off := len(s.arena)
	arena, err := parseCells(s.arena, line, cols, sep)
	if err != nil {
		return err
	}
	s.arena = arena
	s.offs = append(s.offs, sortKey{prefix: binary.BigEndian.Uint64(arena[off:]), off: int32(off)})
	return nil
}

// addRow copies a binary row into the arena.
func (s *sorter) addRow(row []byte) error {
	if (len(s.arena)+len(row) > s.budget || len(s.offs) == cap(s.offs)) && len(s.offs) > 0 {
		if err := s.spill(); err != nil {
			return err
		}
	}
	off := len(s.arena)
	s.arena = append(s.arena, row...)
	s.offs = append(s.offs, sortKey{prefix: binary.BigEndian.Uint64(s.arena[off:]), off: int32(off)})
	return nil
}

func (s *sorter) rowAt(k sortKey) []byte {
	return s.arena[k.off : int(k.off)+rowLen(binary.BigEndian.Uint16(s.arena[k.off:]))]
}

// sortArena sorts the keys by their prefixes (a radix sort: a few passes
// over the keys, where a comparison sort spent a fifth of the plan), then
// the rare runs of equal prefixes by their whole rows.
func (s *sorter) sortArena() {
	keys := s.offs
	if len(s.tmp) < len(keys) {
		s.tmp = make([]sortKey, len(keys))
	}
	radixSort(keys, s.tmp[:len(keys)])
	for i := 0; i < len(keys); {
		j := i + 1
		for j < len(keys) && keys[j].prefix == keys[i].prefix {
			j++
		}
		if j-i > 1 {
			slices.SortFunc(keys[i:j], func(a, b sortKey) int { return bytes.Compare(s.rowAt(a), s.rowAt(b)) })
		}
		i = j
	}
}

// radixSort orders keys by prefix (least significant byte first, stable),
// using tmp (as long as keys) as the other buffer; a byte that every key
// shares (such as the mask's, with every column filled) costs no pass.
func radixSort(keys, tmp []sortKey) {
	if len(keys) < 2 {
		return
	}
	var counts [8][256]int
	for _, k := range keys {
		p := k.prefix
		for b := range 8 {
			counts[b][byte(p>>(8*b))]++
		}
	}
	src, dst := keys, tmp
	for b := range 8 {
		c := &counts[b]
		shift := 8 * b
		if c[byte(keys[0].prefix>>shift)] == len(keys) {
			continue
		}
		sum := 0
		for i, n := range c {
			c[i] = sum
			sum += n
		}
		for _, k := range src {
			d := byte(k.prefix >> shift)
			dst[c[d]] = k
			c[d]++
		}
		src, dst = dst, src
	}
	if &src[0] != &keys[0] {
		copy(keys, src)
	}
}

// prefetchRow asks for the row of k ahead of its use (its first two
// cache lines: a row of two identifiers is 66 bytes).
func (s *sorter) prefetchRow(k sortKey) {
	p := unsafe.Pointer(unsafe.SliceData(s.arena))
	bigmem.Prefetch(unsafe.Add(p, k.off))
	bigmem.Prefetch(unsafe.Add(p, int(k.off)+64))
}

// prefetchAhead is how many rows ahead of the one in hand sorted reads ask for.
const prefetchAhead = 16

func (s *sorter) spill() error {
	s.sortArena()
	path := filepath.Join(s.dir, fmt.Sprintf("sort-%d-%04d.bin", s.id, len(s.runs)))
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("spill sorted rows: %w", err)
	}
	w := bufio.NewWriterSize(f, 256<<10)
	var last []byte
	for i, o := range s.offs {
		if i+prefetchAhead < len(s.offs) {
			s.prefetchRow(s.offs[i+prefetchAhead])
		}
		r := s.rowAt(o)
		if last != nil && bytes.Equal(last, r) {
			continue
		}
		w.Write(r)
		last = r
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("spill sorted rows: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("spill sorted rows: %w", err)
	}
	s.runs = append(s.runs, path)
	s.arena, s.offs = s.arena[:0], s.offs[:0]
	return nil
}

// rowSource yields sorted rows; next returns io.EOF at the end.
type rowSource interface {
	next() ([]byte, error)
}

// sources returns the sorter's sorted rows as sources to merge: its run
// files and the rows still in its arena (sorted in place rather than
// written out and read back).
func (s *sorter) sources() ([]rowSource, []*os.File, error) {
	var srcs []rowSource
	var files []*os.File
	for _, p := range s.runs {
		f, err := os.Open(p)
		if err != nil {
			return srcs, files, err
		}
		files = append(files, f)
		srcs = append(srcs, newBlockRowsSize(f, 256<<10))
	}
	if len(s.offs) > 0 {
		srcs = append(srcs, &arenaSource{s: s}) // sorted by finishAll
	}
	return srcs, files, nil
}

// finish returns the sorted, deduplicated rows of all sorters and a close
// function that removes their run files.
func finishAll(sorters []*sorter) (rowSource, func(), error) {
	var srcs []rowSource
	var files []*os.File
	closeAll := func() {
		for _, f := range files {
			f.Close()
		}
		for _, s := range sorters {
			for _, p := range s.runs {
				os.Remove(p)
			}
			s.free()
		}
	}
	// The rows left in the arenas are sorted at once, one sorter per core.
	var sorting sync.WaitGroup
	for _, s := range sorters {
		sorting.Add(1)
		go func() {
			defer sorting.Done()
			s.sortArena()
		}()
	}
	sorting.Wait()
	for _, s := range sorters {
		ss, fs, err := s.sources()
		files = append(files, fs...)
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		srcs = append(srcs, ss...)
	}
	m, err := mergeOf(srcs)
	if err != nil {
		closeAll()
		return nil, nil, err
	}
	return m, closeAll, nil
}

// mergeOf merges sorted sources into one, dropping duplicates.
func mergeOf(srcs []rowSource) (rowSource, error) {
	switch len(srcs) {
	case 0:
		return emptyRows{}, nil
	case 1:
		return srcs[0], nil
	}
	m := &mergeSource{}
	for _, src := range srcs {
		if err := m.h.push(src, 0, false, true); err != nil {
			return nil, err
		}
	}
	m.h.init()
	return m, nil
}

// finish is finishAll for one sorter.
func (s *sorter) finish() (rowSource, func(), error) { return finishAll([]*sorter{s}) }

type arenaSource struct {
	s    *sorter
	i    int
	last []byte
}

func (a *arenaSource) next() ([]byte, error) {
	for a.i < len(a.s.offs) {
		if a.i+prefetchAhead < len(a.s.offs) {
			a.s.prefetchRow(a.s.offs[a.i+prefetchAhead])
		}
		r := a.s.rowAt(a.s.offs[a.i])
		a.i++
		if a.last != nil && bytes.Equal(a.last, r) {
			continue
		}
		a.last = r
		return r, nil
	}
	return nil, io.EOF
}

// mergeItem is one sorted source's current row in a rowHeap.
type mergeItem struct {
	src    rowSource
	row    []byte
	prefix uint64 // the row's first 8 bytes: most comparisons end here
	// gen and present serve the state's deltas (state_runs.go): the
	// layer's age (newer is larger) and whether it adds or removes the row.
	gen     int
	present bool
}

// less orders by row, then newest layer first: the first of a row is its
// fate (plain merges leave gen 0, so equal rows stay unordered).
func (a *mergeItem) less(b *mergeItem) bool {
	if a.prefix != b.prefix {
		return a.prefix < b.prefix
	}
	if c := bytes.Compare(a.row, b.row); c != 0 {
		return c < 0
	}
	return a.gen > b.gen
}

// rowHeap holds sorted sources by their current row. It is kept by hand:
// container/heap's interface calls cost more than the comparisons on tens
// of millions of rows.
type rowHeap []*mergeItem

// push adds a source at its first row (none if it is empty).
func (h *rowHeap) push(src rowSource, gen int, present bool, copyRow bool) error {
	row, err := src.next()
	if err == io.EOF {
		return nil
	}
	if err != nil {
		return err
	}
	if copyRow {
		row = append([]byte(nil), row...)
	}
	*h = append(*h, &mergeItem{src: src, row: row, prefix: binary.BigEndian.Uint64(row), gen: gen, present: present})
	return nil
}

// init orders the pushed sources.
func (h rowHeap) init() {
	for i := len(h)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
}

// down restores the heap order below i.
func (h rowHeap) down(i int) {
	for {
		j := 2*i + 1
		if j >= len(h) {
			return
		}
		if r := j + 1; r < len(h) && h[r].less(h[j]) {
			j = r
		}
		if !h[j].less(h[i]) {
			return
		}
		h[i], h[j] = h[j], h[i]
		i = j
	}
}

// advance moves the top source to its next row, dropping it at its end.
func (h *rowHeap) advance() error {
	top := (*h)[0]
	row, err := top.src.next()
	switch {
	case err == io.EOF:
		last := len(*h) - 1
		(*h)[0] = (*h)[last]
		*h = (*h)[:last]
	case err != nil:
		return err
	default:
		top.row, top.prefix = row, binary.BigEndian.Uint64(row)
	}
	h.down(0)
	return nil
}

// mergeSource merges sorted sources, dropping duplicates across them.
type mergeSource struct {
	h    rowHeap
	last []byte
}

func (m *mergeSource) next() ([]byte, error) {
	if len(m.h) == 0 {
		return nil, io.EOF
	}
	m.last = append(m.last[:0], m.h[0].row...)
	if err := m.h.advance(); err != nil {
		return nil, err
	}
	// Skip the same row from other runs.
	for len(m.h) > 0 && bytes.Equal(m.h[0].row, m.last) {
		if err := m.h.advance(); err != nil {
			return nil, err
		}
	}
	return m.last, nil
}

// prefetched reads a row source on a goroutine of its own and hands the
// rows over in batches: merging the sorted runs (or reading the state)
// then overlaps the diff that consumes them, on another core.
type prefetched struct {
	full, free chan *rowBatch
	stop       chan struct{}
	done       chan struct{}
	cur        *rowBatch
	pos        int
}

type rowBatch struct {
	data []byte
	err  error // after the batch's rows: io.EOF or the source's error
}

const prefetchBatchBytes = 1 << 20

func prefetch(src rowSource) *prefetched {
	p := &prefetched{full: make(chan *rowBatch, 2), free: make(chan *rowBatch, 3), stop: make(chan struct{}), done: make(chan struct{})}
	for range 3 {
		p.free <- &rowBatch{data: make([]byte, 0, prefetchBatchBytes+2+hashLen*maxColumns)}
	}
	go func() {
		defer close(p.done)
		for {
			var b *rowBatch
			select {
			case b = <-p.free:
			case <-p.stop:
				return
			}
			b.data, b.err = b.data[:0], nil
			for len(b.data) < prefetchBatchBytes {
				row, err := src.next()
				if err != nil {
					b.err = err
					break
				}
				b.data = append(b.data, row...)
			}
			select {
			case p.full <- b:
			case <-p.stop:
				return
			}
			if b.err != nil {
				return
			}
		}
	}()
	return p
}

// next returns the next row, valid until the following call.
func (p *prefetched) next() ([]byte, error) {
	for p.cur == nil || p.pos == len(p.cur.data) {
		if p.cur != nil {
			if p.cur.err != nil {
				return nil, p.cur.err
			}
			p.free <- p.cur
		}
		p.cur, p.pos = <-p.full, 0
	}
	n := rowLen(binary.BigEndian.Uint16(p.cur.data[p.pos:]))
	row := p.cur.data[p.pos : p.pos+n]
	p.pos += n
	return row, nil
}

// close stops the reading goroutine and waits for it, so its source can be closed.
func (p *prefetched) close() {
	close(p.stop)
	<-p.done
}

// emptyRows is a state with nothing in it.
type emptyRows struct{}

func (emptyRows) next() ([]byte, error) { return nil, io.EOF }

// rowSink sorts the rows a transform hands over (transform.Options.RowSink):
// one sorter per transform worker, so the workers never wait on each other.
type rowSink struct {
	sorters []*sorter
	rows    atomic.Int64 // rows received, duplicates included
}

// newRowSink shares budget bytes of sort memory among workers sorters that
// spill into dir.
func newRowSink(dir string, budget, workers int) *rowSink {
	k := &rowSink{}
	for i := range workers {
		so := newSorter(dir, budget/workers)
		so.id = i
		k.sorters = append(k.sorters, so)
	}
	return k
}

// add takes one batch of a worker's rows.
func (k *rowSink) add(worker int, rows []byte) error {
	so := k.sorters[worker]
	var n int64
	for len(rows) > 0 {
		if len(rows) < 2 || rowLen(binary.BigEndian.Uint16(rows)) > len(rows) {
			return errors.New("internal error: the transform handed over a cut row")
		}
		l := rowLen(binary.BigEndian.Uint16(rows))
		if err := so.addRow(rows[:l]); err != nil {
			return err
		}
		rows = rows[l:]
		n++
	}
	k.rows.Add(n)
	return nil
}

// finish returns the rows sorted and deduplicated, and a close function
// that removes the spilled runs.
func (k *rowSink) finish() (rowSource, func(), error) { return finishAll(k.sorters) }

// remove deletes the spilled runs (after a failure; finish's close does it
// otherwise).
func (k *rowSink) remove() {
	for _, so := range k.sorters {
		for _, p := range so.runs {
			os.Remove(p)
		}
		so.free()
	}
}

// rowsWriter writes sorted rows as a rows file (a state's rows-<id>.bin).
type rowsWriter struct {
	f         *os.File
	w         *bufio.Writer
	rows, ids int64
}

func createRows(path string) (*rowsWriter, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, err
	}
	return &rowsWriter{f: f, w: bufio.NewWriterSize(f, 256<<10)}, nil
}

// countRows is a rowsWriter that only counts (a dry run keeps no state).
func countRows() *rowsWriter { return &rowsWriter{} }

func (rw *rowsWriter) add(row []byte) {
	if rw.w != nil {
		rw.w.Write(row) // a write error sticks in the bufio.Writer: close reports it
	}
	rw.rows++
	rw.ids += int64((len(row) - 2) / hashLen)
}

// close flushes the file and, with sync, waits until it is on disk.
func (rw *rowsWriter) close(sync bool) error {
	if rw.f == nil {
		return nil
	}
	err := rw.w.Flush()
	if err == nil && sync {
		err = rw.f.Sync()
	}
	if cerr := rw.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// abandon closes the file after a failure (its folder is removed by the caller).
func (rw *rowsWriter) abandon() {
	if rw.f != nil {
		rw.f.Close()
	}
}

// writeRowsFile writes the sorted, deduplicated rows of src to a new rows
// file at path, flushed to disk: what a state's RowsFile names. It returns
// the rows and identifiers written.
func writeRowsFile(path string, src rowSource) (rows, ids int64, err error) {
	rw, err := createRows(path)
	if err != nil {
		return 0, 0, err
	}
	for {
		row, err := src.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			rw.abandon()
			os.Remove(path)
			return 0, 0, err
		}
		rw.add(row)
	}
	if err := rw.close(true); err != nil {
		os.Remove(path)
		return 0, 0, err
	}
	return rw.rows, rw.ids, nil
}
