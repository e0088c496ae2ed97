package transform

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/audience-uploader/audience-uploader/backend/identifiers"
	"github.com/audience-uploader/audience-uploader/backend/inputs"
	"github.com/audience-uploader/audience-uploader/backend/records"
)

// chunkRecords is how many records travel together from the reader to a
// worker: large enough that channel hand-offs cost nothing per row, small
// enough that cancellation and progress stay prompt.
const chunkRecords = 4096

// plan is the validated, defaulted form of Options.
type plan struct {
	Options
	layout  Layout
	streams []stream // output file sets
	// streamOf[i] is the stream mapping i writes to (separate layout).
	streamOf []uint8

	tiktok bool // TikTok's customer files are written
	meta   *metaPlan
	// metaSink: the RowSink gets Meta's digests (Destinations is {Meta}).
	metaSink bool
}

type stream struct {
	prefix        string
	calculateType string
	typeName      string // separate layout: the identifier type
	header        []byte
}

func newPlan(opts Options) (*plan, error) {
	if opts.Source.Open == nil && len(opts.Source.Parts) == 0 {
		return nil, usageErrorf("no input was given")
	}
	if len(opts.Mappings) == 0 {
		return nil, usageErrorf("no column is mapped to an identifier type: map at least one (COLUMN=email|phone|idfa|gaid)")
	}
	var err error
	if opts.Mappings, err = resolveMappings(opts.Mappings); err != nil {
		return nil, err
	}
	if opts.Region == "" {
		opts.Region = "US"
	}
	if opts.MaxFileBytes == 0 {
		opts.MaxFileBytes = DefaultMaxFileBytes
	}
	if opts.MaxFileBytes < 1<<20 || opts.MaxFileBytes > MaxFileBytesLimit {
		return nil, usageErrorf("the maximum file size must be between 1 MiB and 250 MiB (TikTok's upload limit)")
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.NumCPU()
	}
	if opts.DedupMemoryBytes <= 0 {
		opts.DedupMemoryBytes = DefaultDedupMemoryBytes
	}
	if opts.OutDir == "" {
		return nil, usageErrorf("no output folder was given")
	}
	p := &plan{Options: opts, layout: opts.Layout}
	if err := p.planDestinations(); err != nil {
		return nil, err
	}
	if p.layout == "" || p.layout == LayoutAuto {
		p.layout = LayoutSeparate
		if len(opts.Mappings) > 1 {
			p.layout = LayoutCombined
		}
	}
	switch p.layout {
	case LayoutCombined:
		header := []byte{}
		count := map[string]int{}
		for i, m := range opts.Mappings {
			name := m.Type.CombinedColumn()
			if count[name]++; count[name] > maxSameHeader && p.tiktok {
				return nil, usageErrorf("TikTok accepts the column %s at most %d times in a combined file: map fewer columns of that kind, or use the separate layout", name, maxSameHeader)
			}
			if i > 0 {
				header = append(header, ',')
			}
			header = append(header, name...)
		}
		header = append(header, '\n')
		p.streams = []stream{{prefix: "combined", calculateType: "MULTIPLE_TYPES", header: header}}
		p.streamOf = make([]uint8, len(opts.Mappings))
	case LayoutSeparate:
		index := map[identifiers.Type]uint8{}
		for _, m := range opts.Mappings {
			s, ok := index[m.Type]
			if !ok {
				s = uint8(len(p.streams))
				index[m.Type] = s
				p.streams = append(p.streams, stream{prefix: m.Type.String(), calculateType: m.Type.CalculateType(), typeName: m.Type.String()})
			}
			p.streamOf = append(p.streamOf, s)
		}
	default:
		return nil, usageErrorf("layout %q is not one of auto, combined, separate", p.layout)
	}
	if opts.RowSink != nil && len(p.streams) > 1 {
		// A binary row does not say which identifier type its hash is.
		return nil, usageErrorf("the list's rows can only be handed over as one set of rows: use the combined layout, or map one identifier type")
	}
	if !p.tiktok && opts.RowSink == nil {
		p.streams, p.streamOf = nil, nil // no TikTok file is written
	}
	if p.meta != nil {
		p.meta.stream = uint8(len(p.streams))
	}
	return p, nil
}

// keysPerRow is how many dedup keys a row adds at most: one per row in the
// combined layout, one per mapped column in the separate layout.
func (p *plan) keysPerRow() int64 {
	n := int64(0)
	switch {
	case !p.tiktok:
	case p.layout == LayoutCombined:
		n = 1
	default:
		n = int64(len(p.Mappings))
	}
	if p.meta != nil {
		n++ // one Meta row (rarely more: see metaRow)
	}
	return n
}

// resolveMappings checks the mappings and fills in Type from TypeName (as
// JSON from the app gives them) or TypeName from Type, in a copy.
func resolveMappings(in []Mapping) ([]Mapping, error) {
	out := make([]Mapping, len(in))
	seen := map[string]bool{}
	for i, m := range in {
		if m.Column == "" {
			return nil, usageErrorf("mapping %d has no column name", i+1)
		}
		if seen[m.Column] {
			return nil, usageErrorf("column %q is mapped twice", records.SafeColumnName(m.Column))
		}
		seen[m.Column] = true
		if m.Type == 0 {
			t, err := identifiers.ParseType(m.TypeName)
			if err != nil {
				return nil, usageErrorf("column %q: %w", records.SafeColumnName(m.Column), err)
			}
			m.Type = t
		}
		m.TypeName = m.Type.String()
		out[i] = m
	}
	return out, nil
}

func (p *plan) columns() []string {
	cols := make([]string, len(p.Mappings))
	for i, m := range p.Mappings {
		cols[i] = m.Column
	}
	return cols
}

// checkOutDir accepts a new output folder or an empty one, and creates its
// parent (where the run stages). Anything in the folder stops the run before
// any work: earlier files must never be mixed with these.
func checkOutDir(out string) error {
	entries, err := os.ReadDir(out)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return fmt.Errorf("reading the output folder: %w", err)
	case len(entries) > 0:
		return usageErrorf("the output folder %s is not empty: choose a new or empty folder so earlier files are not mixed with these", out)
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o700); err != nil {
		return fmt.Errorf("creating the folder for the output: %w", err)
	}
	return nil
}

// countingReader counts bytes read from the source, for progress.
type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// openRecords opens the source (one file) and the records reader over it;
// the bytes read are added to read (which may be nil).
func openRecords(ctx context.Context, src inputs.Source, format records.Format, header records.HeaderMode, read *atomic.Int64) (*records.Reader, io.Closer, error) {
	if len(src.Parts) > 0 {
		return nil, nil, fmt.Errorf("internal error: %s is a list of files, opened as one", src.Name)
	}
	rc, err := src.Open(ctx)
	if err != nil {
		return nil, nil, err
	}
	if read == nil {
		read = new(atomic.Int64)
	}
	cr := &countingReader{r: rc, n: read}
	ro := records.Options{Name: src.Name, Format: format, Header: header, Sheet: src.Sheet}
	if at, ok := rc.(io.ReaderAt); ok && src.Size > 0 {
		// Parquet and Excel read by offset (a local file; an S3 object with ranged GETs), through the counter.
		ro.At, ro.Size, ro.Path = countingReaderAt{at, read}, src.Size, src.Path
	}
	var release func()
	ro.TempDir, release = acquireReaderTemp() // Excel's temporary files, removed even after a kill
	rd, err := records.Open(cr, ro)
	if err != nil {
		release()
		rc.Close()
		return nil, nil, err
	}
	return rd, readerCloser{rd, rc, release}, nil
}

// countingReaderAt counts bytes read by offset into the same progress counter.
type countingReaderAt struct {
	r io.ReaderAt
	n *atomic.Int64
}

func (c countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.n.Add(int64(n))
	return n, err
}

// readerCloser closes the records reader (Excel's temporary files) and then its source.
type readerCloser struct {
	rd      *records.Reader
	rc      io.Closer
	release func() // of the readers' temporary folder
}

func (c readerCloser) Close() error {
	err := c.rd.Close()
	c.release()
	if cerr := c.rc.Close(); cerr != nil {
		err = cerr
	}
	return err
}

// safeMappings is the mapping as the manifest records it: a column whose name
// looks like a customer's identifier is not named.
func safeMappings(ms []Mapping) []Mapping {
	out := make([]Mapping, len(ms))
	for i, m := range ms {
		m.Column = records.SafeColumnName(m.Column)
		out[i] = m
	}
	return out
}

func quoteList(names []string, most int) string {
	s := ""
	for i, n := range names {
		if i == most {
			return s + fmt.Sprintf(", … (%d more)", len(names)-most)
		}
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%q", records.SafeColumnName(n))
	}
	if s == "" {
		return "none"
	}
	return s
}

// Run transforms the whole input into OutDir and writes OutDir/manifest.json.
// OutDir must be new or empty. Everything is written into a staging folder
// beside it that becomes OutDir with one rename at the end (see staging.go):
// a cancelled, failed, crashed or killed run leaves no OutDir at all.
// Cancelling ctx stops it within a second.
func Run(ctx context.Context, opts Options) (m *Manifest, err error) {
	start := time.Now()
	p, err := newPlan(opts)
	if err != nil {
		return nil, err
	}
	// Normalizer options are checked before any reading (unknown region).
	if _, err := identifiers.NewNormalizer(identifiers.Options{Region: p.Region, PhoneFormat: p.PhoneFormat}); err != nil {
		return nil, &UsageError{Err: err}
	}
	// Every part is opened and checked (format, columns, the mapped ones) before any work.
	pp, err := checkInput(ctx, p.Source, p.Format, p.Header, p.columns())
	if err != nil {
		return nil, err
	}
	out, err := filepath.Abs(p.OutDir)
	if err != nil {
		return nil, fmt.Errorf("finding the output folder: %w", err)
	}
	if err := checkOutDir(out); err != nil {
		return nil, err
	}
	sweepStaging(filepath.Dir(out)) // what killed runs left beside it; a failure here is not this run's
	runID := newRunID()
	st, err := startStaging(out, runID)
	if err != nil {
		return nil, err
	}
	defer st.close()
	defer func() { // runs before close: a panic here still removes the staging folder
		if r := recover(); r != nil {
			m, err = nil, panicError(r)
		}
	}()
	p.OutDir = st.dir
	m, err = run(ctx, p, pp, start, runID)
	if err == nil {
		err = st.publish(out)
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("the transform of %s was cancelled; its partial output was removed: %w", p.Source.Name, ctx.Err())
		}
		return nil, err
	}
	return m, nil
}

// recoverInto turns a panic into an ordinary error (the deferred clean-ups
// still run), so a bug fails one run instead of the app, and leaves nothing
// behind. The panic's value is named, never the data it was working on.
func recoverInto(err *error) {
	if r := recover(); r != nil {
		*err = panicError(r)
	}
}

func panicError(r any) error {
	return fmt.Errorf("the transform stopped on an internal error (%v); its partial output was removed. Please report this, with the app's version", r)
}

// goSafe runs f in the group with recoverInto, so a panic in any pipeline
// goroutine fails the run like an error instead of ending the process.
func goSafe(g *errgroup.Group, f func() error) {
	g.Go(func() (err error) {
		defer recoverInto(&err)
		return f()
	})
}

// expectRows is how many rows the input holds: the count its parts state
// (Parquet's footers, summed), else its size over the first chunk's bytes
// per record, the size scaled up by the chunk's part's compression ratio
// (a gzip CSV's text is several times its size, and at most
// maxTrustedInflation times: a tiny file that unpacks a thousandfold must not
// size the deduplication table to its whole budget). 0 when unknown.
func expectRows(size, stated int64, first *batch) int64 {
	if stated >= 0 {
		return stated
	}
	recs := int64(len(first.chunk.Records))
	if size <= 0 || recs == 0 {
		return 0
	}
	perRecord := max(float64(len(first.chunk.Data))/float64(recs), 1)
	return int64(float64(size) * min(max(first.inflation, 1), maxTrustedInflation) / perRecord)
}

// maxTrustedInflation bounds the compression ratio a first chunk can make
// expectRows believe: lists of identifiers compress 3 to 8 times; a larger
// table grows as the rows arrive.
const maxTrustedInflation = 16

func run(ctx context.Context, p *plan, pp *partsPlan, start time.Time, runID string) (*Manifest, error) {
	var read atomic.Int64
	col := newCollector(p)
	defer col.close()

	report := func() Progress {
		return Progress{Rows: col.rowsDone.Load(), BytesRead: read.Load(), BytesTotal: p.Source.Size, Elapsed: time.Since(start)}
	}
	progress := startProgress(p.Progress, report)
	defer progress.stop()

	ws := make([]*worker, p.Workers)
	for i := range ws {
		var err error
		if ws[i], err = newWorker(i, p, col.dedupers); err != nil {
			return nil, err
		}
	}

	g, gctx := errgroup.WithContext(ctx)
	nBatches := p.Workers * 3
	work := make(chan *batch, nBatches)
	dd := col.dedupers
	dedupIn := make([]chan *batch, len(dd.parts))
	for i := range dedupIn {
		dedupIn[i] = make(chan *batch, nBatches)
	}
	deduped := make(chan *batch, nBatches)

	goSafe(g, func() error {
		defer close(work)
		return feedParts(gctx, p, pp, &read, work, func(b *batch) {
			// The dedup set is sized once, before its first key (a
			// RowSink's rows skip it: it stays at its smallest).
			if rows := expectRows(p.Source.Size, pp.rows, b); rows > 0 && p.RowSink == nil {
				dd.expectKeys.Store(max(rows*p.keysPerRow(), 1))
			}
		})
	})
	// Workers hand each batch to every deduper; the last to finish with
	// it passes it on to the collector.
	var workers sync.WaitGroup
	for _, w := range ws {
		workers.Add(1)
		goSafe(g, func() error {
			defer workers.Done()
			for b := range work {
				if err := gctx.Err(); err != nil {
					return err
				}
				w.process(b)
				if p.RowSink != nil && len(b.rows) > 0 {
					if err := p.RowSink(w.id, b.rows); err != nil {
						return err
					}
				}
				b.dedupsLeft.Store(int32(len(dedupIn)))
				for _, in := range dedupIn {
					select {
					case in <- b:
					case <-gctx.Done():
						return gctx.Err()
					}
				}
			}
			return nil
		})
	}
	go func() {
		workers.Wait()
		for _, in := range dedupIn {
			close(in)
		}
	}()
	var dedupers sync.WaitGroup
	for i, part := range dd.parts {
		dedupers.Add(1)
		goSafe(g, func() error {
			defer dedupers.Done()
			for b := range dedupIn[i] {
				if err := gctx.Err(); err != nil {
					return err
				}
				part.dedup(b)
				if b.dedupsLeft.Add(-1) > 0 {
					continue
				}
				select {
				case deduped <- b:
				case <-gctx.Done():
					return gctx.Err()
				}
			}
			return nil
		})
	}
	go func() { dedupers.Wait(); close(deduped) }()
	goSafe(g, func() error {
		for b := range deduped {
			if err := col.consume(b); err != nil {
				return err
			}
			if err := gctx.Err(); err != nil {
				return err
			}
			b.home <- b // its part's pool: never full
		}
		return col.drainSpill(gctx)
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	files, err := col.finish(ctx)
	if err != nil {
		return nil, err
	}
	progress.stop()
	if p.Progress != nil {
		p.Progress(report()) // the final figures, so a bar ends at 100%
	}
	m := &Manifest{
		Version:     1,
		RunID:       runID,
		CreatedAt:   time.Now().UTC().Truncate(time.Second),
		Input:       p.Source.Name,
		Format:      pp.format,
		Layout:      p.layout,
		Mappings:    safeMappings(p.Mappings),
		Region:      p.Region,
		PhoneFormat: phoneFormatName(p.PhoneFormat),
		Files:       files,
		Counters:    col.counters(time.Since(start)),
		Meta:        col.metaCounters(),
		Notes:       col.notes(),
	}
	if err := writeManifest(p.OutDir, m); err != nil {
		return nil, err
	}
	return m, nil
}

// progressTicker calls a Progress callback ten times a second from one
// goroutine until stopped.
type progressTicker struct {
	done    chan struct{}
	stopped sync.WaitGroup
	once    sync.Once
}

func startProgress(callback func(Progress), report func() Progress) *progressTicker {
	t := &progressTicker{done: make(chan struct{})}
	if callback == nil {
		return t
	}
	t.stopped.Add(1)
	go func() {
		defer t.stopped.Done()
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-t.done:
				return
			case <-tick.C:
				callback(report())
			}
		}
	}()
	return t
}

// stop ends the ticks and waits for the last callback to return.
func (t *progressTicker) stop() {
	t.once.Do(func() { close(t.done) })
	t.stopped.Wait()
}

func phoneFormatName(f identifiers.PhoneFormat) string {
	if f == identifiers.PhoneE164 {
		return "e164"
	}
	return "digits"
}

// writeManifest writes manifest.json, last, and syncs it: the staging folder
// is published only after it.
func writeManifest(dir string, m *Manifest) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding the manifest: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, ManifestName), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("writing the manifest: %w", err)
	}
	_, err = f.Write(append(data, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing the manifest: %w", err)
	}
	return nil
}

// sortErrors keeps the first n errors by part (parts are in name order) and line.
func sortErrors(errs []*records.RecordError, n int) []*records.RecordError {
	sort.Slice(errs, func(i, j int) bool {
		if errs[i].File != errs[j].File {
			return errs[i].File < errs[j].File
		}
		return errs[i].Line < errs[j].Line
	})
	if len(errs) > n {
		errs = errs[:n]
	}
	return errs
}
