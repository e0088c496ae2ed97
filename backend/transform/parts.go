package transform

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"github.com/audience-uploader/audience-uploader/backend/identifiers"
	"github.com/audience-uploader/audience-uploader/backend/inputs"
	"github.com/audience-uploader/audience-uploader/backend/records"
)

// partsInFlight is how many parts are opened (checked) or read at once: a
// part read ahead overlaps its S3 requests or decompression with the one
// being handed out, while the output keeps the parts' order.
const partsInFlight = 3

// partsPlan is what the parts were found to share, decided by the first.
type partsPlan struct {
	parts  []inputs.Source // the parts with data, in order (a part empty once decompressed is left out)
	format records.Format
	header records.HeaderMode // CSV: the first part's answer, given to every other part
	rows   int64              // the exact row count the parts state (Parquet), -1 if any does not
}

// partShape is one part's format and columns.
type partShape struct {
	name    string
	format  records.Format
	tabular bool
	columns []string
	rows    int64
}

// isEmptyPart tells a part with nothing in it once decompressed (Spark writes
// such parts for empty partitions) from a part that cannot be read.
func isEmptyPart(err error, name string) bool {
	msg := err.Error()
	return msg == name+" is empty" || strings.HasPrefix(msg, name+" is empty (")
}

// checkInput opens every part before any work (a few at a time) and checks
// that they share the first's format and columns, naming the part that does
// not; mapped (may be nil) must be among the columns of each. A single file
// is checked as today's one-part list.
func checkInput(ctx context.Context, src inputs.Source, format records.Format, header records.HeaderMode, mapped []string) (*partsPlan, error) {
	parts := src.PartList()
	pp := &partsPlan{format: format, header: header, rows: 0}
	var first *partShape
	i := 0
	for ; i < len(parts) && first == nil; i++ {
		rd, closer, err := openRecords(ctx, parts[i], format, header, nil)
		if err != nil {
			if len(src.Parts) > 0 && isEmptyPart(err, parts[i].Name) {
				continue
			}
			return nil, err
		}
		first = shapeOf(rd)
		pp.header = listHeader(rd, pp.header)
		err = checkMapped(rd, parts[i].Name, mapped)
		closer.Close()
		if err != nil {
			return nil, err
		}
		pp.parts = append(pp.parts, parts[i])
		pp.format = rd.Format()
		pp.rows = first.rows
	}
	if first == nil {
		return nil, fmt.Errorf("every file in %s is empty: there is no row to read", src.Name)
	}
	rest := parts[i:]
	shapes := make([]*partShape, len(rest))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(partsInFlight)
	for k, part := range rest {
		g.Go(func() error {
			// Each part's format is detected, not assumed, so a folder of mixed formats is named as such.
			fm := format
			rd, closer, err := openRecords(gctx, part, fm, pp.header, nil)
			if err != nil {
				if isEmptyPart(err, part.Name) {
					return nil
				}
				return err
			}
			defer closer.Close()
			shapes[k] = shapeOf(rd)
			if err := sameShape(first, shapes[k]); err != nil {
				return err
			}
			return checkMapped(rd, part.Name, mapped)
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for k, sh := range shapes {
		if sh == nil {
			continue
		}
		pp.parts = append(pp.parts, rest[k])
		if pp.rows >= 0 && sh.rows >= 0 {
			pp.rows += sh.rows
		} else {
			pp.rows = -1
		}
	}
	return pp, nil
}

// listHeader is the header mode every part of a list is read with, given
// rd, its first part with data: the one asked for, or, for CSV asked to
// detect it, the first part's answer.
func listHeader(rd *records.Reader, asked records.HeaderMode) records.HeaderMode {
	if rd.Format() != records.FormatCSV || asked == records.HeaderYes || asked == records.HeaderNo {
		return asked
	}
	if rd.HasHeader() {
		return records.HeaderYes
	}
	return records.HeaderNo
}

func shapeOf(rd *records.Reader) *partShape {
	sh := &partShape{name: rd.Name(), format: rd.Format(), tabular: rd.Tabular(), rows: rd.RowCount()}
	if sh.tabular {
		sh.columns = slices.Clone(rd.Header())
		slices.Sort(sh.columns)
	}
	return sh
}

// sameShape: the same format, and for tables the same column names (in any order).
func sameShape(first, sh *partShape) error {
	if sh.format != first.format {
		return usageErrorf("the files are not all one format: %s is %s but %s is %s; put only one kind of file in the folder (or match them with a pattern such as *.csv.gz)",
			sh.name, formatName(sh.format), first.name, formatName(first.format))
	}
	if !sh.tabular || slices.Equal(sh.columns, first.columns) {
		return nil
	}
	missing := difference(first.columns, sh.columns)
	extra := difference(sh.columns, first.columns)
	var what []string
	if len(missing) > 0 {
		what = append(what, "it lacks "+quoteList(missing, 10))
	}
	if len(extra) > 0 {
		what = append(what, "it has "+quoteList(extra, 10)+" that the other does not")
	}
	if len(what) == 0 {
		what = append(what, fmt.Sprintf("it has %d columns where the other has %d", len(sh.columns), len(first.columns)))
	}
	return usageErrorf("the part %s does not have the same columns as %s (%s): every part of a list must have the same columns; remove that file or choose the files with a pattern",
		sh.name, first.name, strings.Join(what, "; "))
}

func formatName(f records.Format) string {
	switch f {
	case records.FormatJSONL:
		return "JSON Lines"
	case records.FormatJSON:
		return "JSON"
	case records.FormatCSV:
		return "CSV/TXT"
	case records.FormatParquet:
		return "Parquet"
	case records.FormatXLSX:
		return "Excel"
	}
	return string(f)
}

func difference(a, b []string) []string {
	var out []string
	for _, s := range a {
		if _, found := slices.BinarySearch(b, s); !found {
			out = append(out, s)
		}
	}
	return out
}

// checkMapped fails when a mapped column is not in the part: for tables,
// not among its columns; for JSON, in none of its first records.
func checkMapped(rd *records.Reader, name string, mapped []string) error {
	if len(mapped) == 0 {
		return nil
	}
	if rd.Tabular() {
		if _, err := rd.NewExtractor(mapped); err != nil {
			return usageErrorf("%w; columns found: %s", err, quoteList(rd.Header(), 20))
		}
		return nil
	}
	norm, err := identifiers.NewNormalizer(identifiers.Options{Region: "US"}) // names are what is checked
	if err != nil {
		return &UsageError{Err: err}
	}
	schema, err := records.Discover(rd, DefaultSample, norm)
	if err != nil {
		return err
	}
	have := map[string]bool{}
	names := make([]string, 0, len(schema.Fields))
	for _, f := range schema.Fields {
		have[f.Name] = true
		names = append(names, f.Name)
	}
	for _, m := range mapped {
		if !have[m] {
			return usageErrorf("column %q is not in %s (first %d records); columns found: %s", records.SafeColumnName(m), name, schema.Records, quoteList(names, 20))
		}
	}
	return nil
}

// feedParts hands every part's chunks to work, part after part in order.
// Up to partsInFlight parts are open and read ahead at once; each has its
// own batches (so one read ahead never starves the one being handed out;
// it holds a few at most) and its own extractors, one per worker, made
// before its first chunk (Parquet reads only their columns). first is
// called with the first chunk that has records.
func feedParts(ctx context.Context, p *plan, pp *partsPlan, read *atomic.Int64, work chan<- *batch, first func(*batch)) error {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()

	type partRun struct {
		out chan *batch
		err error
	}
	launched := make(chan *partRun, partsInFlight)
	slots := make(chan struct{}, partsInFlight)
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(launched)
		for _, part := range pp.parts {
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return
			}
			pr := &partRun{out: make(chan *batch, 2)}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer close(pr.out)
				defer recoverInto(&pr.err)
				pr.err = readPart(ctx, p, pp, part, read, pr.out)
			}()
			launched <- pr
		}
	}()
	firstDone := false
	for pr := range launched {
		for b := range pr.out {
			if !firstDone && len(b.chunk.Records) > 0 {
				first(b)
				firstDone = true
			}
			select {
			case work <- b:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if pr.err != nil {
			return pr.err
		}
		<-slots
	}
	return ctx.Err()
}

// readPart reads one part's chunks into out.
func readPart(ctx context.Context, p *plan, pp *partsPlan, part inputs.Source, read *atomic.Int64, out chan<- *batch) error {
	rd, closer, err := openRecords(ctx, part, pp.format, pp.header, read)
	if err != nil {
		if len(pp.parts) > 1 && isEmptyPart(err, part.Name) {
			return nil
		}
		return err
	}
	defer closer.Close()
	ex := make([]*records.Extractor, p.Workers)
	for i := range ex {
		if ex[i], err = rd.NewExtractor(p.columns()); err != nil {
			return &UsageError{Err: err}
		}
	}
	most := p.Workers*3 + 1
	pool := make(chan *batch, most)
	made := 0
	for {
		var b *batch
		select {
		case b = <-pool:
		default:
			if made < most {
				made++
				b = &batch{chunk: &records.Chunk{}, home: pool}
				break
			}
			select {
			case b = <-pool:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		b.extract = ex
		err := rd.NextChunk(b.chunk, chunkRecords)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading %s: %w", part.Name, err)
		}
		b.inflation = rd.Inflation()
		select {
		case out <- b:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// discoverPartsMost is how many parts discovery samples at most, spread
// over the list (first, last and between).
const discoverPartsMost = 8

// discoverParts samples a list of files. It opens only the parts it samples
// (one that is empty once decompressed gives way to the next), checks that
// they share one format and columns, takes sample/n records from each and
// merges what they found into one schema named after the list: on a
// 64-part S3 prefix that is 8 objects read, not 64. The row count is exact
// when the parts state theirs (Parquet): then the footers of the parts not
// sampled are read too, and their columns checked. Run checks every part
// before any work, so a part that differs is named then if not here.
func discoverParts(ctx context.Context, src inputs.Source, format records.Format, header records.HeaderMode, sample int, norm *identifiers.Normalizer) (*records.Schema, error) {
	parts := src.PartList()
	n := min(len(parts), discoverPartsMost)
	per := max(sample/n, 1)
	var first *partShape
	var schemas []*records.Schema
	var shapes []*partShape
	sampled := make([]bool, len(parts))
	next := 0 // the parts before it were opened
	for k := 0; k < n && next < len(parts); k++ {
		idx := 0
		if n > 1 {
			idx = k * (len(parts) - 1) / (n - 1)
		}
		for idx = max(idx, next); idx < len(parts); idx++ {
			sampled[idx] = true
			// Each part's format is detected, not assumed, so a folder of mixed formats is named as such.
			rd, closer, err := openRecords(ctx, parts[idx], format, header, nil)
			if err != nil {
				if isEmptyPart(err, parts[idx].Name) {
					continue
				}
				return nil, err
			}
			sh := shapeOf(rd)
			if first == nil {
				first = sh
				header = listHeader(rd, header)
			} else if err := sameShape(first, sh); err != nil {
				closer.Close()
				return nil, err
			}
			sc, err := records.Discover(rd, per, norm)
			closer.Close()
			if err != nil {
				return nil, err
			}
			schemas, shapes = append(schemas, sc), append(shapes, sh)
			break
		}
		next = idx + 1
	}
	if first == nil {
		return nil, fmt.Errorf("every file in %s is empty: there is no row to read", src.Name)
	}
	rows := int64(-1)
	if first.rows >= 0 {
		var err error
		if rows, err = footerRows(ctx, parts, sampled, shapes, first, format, header); err != nil {
			return nil, err
		}
	}
	out := mergeSchemas(schemas)
	out.Name = src.Name
	out.Rows = nil
	if rows >= 0 {
		out.Rows = &rows
	}
	if len(src.Parts) > 0 {
		out.Warnings = append(out.Warnings, fmt.Sprintf("%d files read as one list; %d of them sampled", len(parts), len(schemas)))
	}
	return out, nil
}

// footerRows adds up the rows the parts state: the sampled parts' shapes,
// and for the others their footers, read a few at a time (each is checked
// against the first part's format and columns on the way). -1 when a part
// states none.
func footerRows(ctx context.Context, parts []inputs.Source, sampled []bool, shapes []*partShape, first *partShape, format records.Format, header records.HeaderMode) (int64, error) {
	counts := make([]int64, len(parts))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(partsInFlight)
	for k, part := range parts {
		if sampled[k] {
			continue
		}
		g.Go(func() error {
			rd, closer, err := openRecords(gctx, part, format, header, nil)
			if err != nil {
				if isEmptyPart(err, part.Name) {
					return nil
				}
				return err
			}
			defer closer.Close()
			sh := shapeOf(rd)
			counts[k] = sh.rows
			return sameShape(first, sh)
		})
	}
	if err := g.Wait(); err != nil {
		return 0, err
	}
	for _, sh := range shapes {
		counts = append(counts, sh.rows)
	}
	total := int64(0)
	for _, c := range counts {
		if c < 0 {
			return -1, nil
		}
		total += c
	}
	return total, nil
}

// mergeSchemas adds up the parts' samples: fill rates weighted by the
// records each part gave, the type "mixed" where parts disagree, and the
// suggestion most of the sampled records back (its confidence weighted the
// same way, parts without it counting as 0).
func mergeSchemas(ss []*records.Schema) *records.Schema {
	out := *ss[0]
	if len(ss) == 1 {
		return &out
	}
	out.Fields = nil
	out.Malformed, out.Warnings = nil, nil
	total := 0
	index := map[string]int{}
	type acc struct {
		fill      float64
		conf      map[string]float64
		votes     map[string]int
		suggested map[string]*records.Suggestion
	}
	var accs []*acc
	for _, s := range ss {
		total += s.Records
		out.Malformed = append(out.Malformed, s.Malformed...)
		for _, w := range s.Warnings {
			if !slices.Contains(out.Warnings, w) {
				out.Warnings = append(out.Warnings, w)
			}
		}
		for _, f := range s.Fields {
			i, ok := index[f.Name]
			if !ok {
				i = len(out.Fields)
				index[f.Name] = i
				out.Fields = append(out.Fields, records.Field{Name: f.Name, Type: f.Type})
				accs = append(accs, &acc{conf: map[string]float64{}, votes: map[string]int{}, suggested: map[string]*records.Suggestion{}})
			}
			of, a := &out.Fields[i], accs[i]
			if of.Type != f.Type {
				switch {
				case of.Type == "null":
					of.Type = f.Type
				case f.Type != "null":
					of.Type = "mixed"
				}
			}
			a.fill += f.FillRate * float64(s.Records)
			for _, v := range f.Samples {
				if len(of.Samples) < 3 && !slices.Contains(of.Samples, v) {
					of.Samples = append(of.Samples, v)
				}
			}
			if f.Suggestion != nil {
				t := f.Suggestion.TypeName
				a.conf[t] += f.Suggestion.Confidence * float64(s.Records)
				a.votes[t] += s.Records
				if a.suggested[t] == nil {
					a.suggested[t] = f.Suggestion
				}
			}
		}
	}
	out.Records = total
	if len(out.Malformed) > 100 {
		out.Malformed = out.Malformed[:100]
	}
	for i := range out.Fields {
		a := accs[i]
		if total > 0 {
			out.Fields[i].FillRate = a.fill / float64(total)
		}
		best := ""
		for t, v := range a.votes {
			if best == "" || v > a.votes[best] || (v == a.votes[best] && t < best) {
				best = t
			}
		}
		if best != "" && total > 0 {
			sg := *a.suggested[best]
			sg.Confidence = float64(int(a.conf[best]/float64(total)*100+0.5)) / 100
			out.Fields[i].Suggestion = &sg
		}
	}
	return &out
}
