package transform

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/records"
)

// collector is the single goroutine that writes the lines the dedupers
// found new to the output files (or the spill), and adds up the counters.
type collector struct {
	plan     *plan
	sets     []*fileSet
	dedupers *dedupers
	spill    *spill

	rowsDone atomic.Int64 // rows fully processed, for progress

	rowsRead, malformed, noIdentifier, rowsWritten int64
	errs                                           []*records.RecordError
	tiktok                                         valueCounts
	duplicates                                     []int64 // per stream

	// Meta's side (plan.meta).
	meta                              valueCounts
	metaNoIdentifier, metaRowsWritten int64

	planned bool // the part sizes were fitted to the input's expected size
}

func newCollector(p *plan) *collector {
	c := &collector{
		plan:       p,
		duplicates: make([]int64, len(p.streams)),
	}
	c.tiktok.reset(len(p.Mappings))
	c.dedupers = newDedupers(dedupPartitions(p.Workers), p.DedupMemoryBytes)
	for _, s := range p.streams {
		c.sets = append(c.sets, newFileSet(p.OutDir, s.prefix, s.calculateType, s.header, p.MaxFileBytes))
	}
	if p.meta != nil { // its stream follows TikTok's
		c.sets = append(c.sets, newSingleFile(p.OutDir, MetaRowsName))
		c.duplicates = append(c.duplicates, 0)
		c.meta.reset(len(p.Mappings))
	}
	return c
}

func (c *collector) consume(b *batch) error {
	if !c.planned && len(b.chunk.Records) > 0 {
		// The reader has set the expected keys before it passed on the
		// first batch with records; none of a batch before it is a line.
		c.planParts()
	}
	t := &b.tally
	c.rowsRead += t.rowsRead
	c.malformed += t.malformed
	c.noIdentifier += t.noIdentifier
	c.tiktok.add(&t.tiktok)
	if c.plan.meta != nil {
		c.metaNoIdentifier += t.metaNoIdentifier
		c.meta.add(&t.meta)
	}
	if len(t.errors) > 0 {
		c.errs = append(c.errs, t.errors...)
		if len(c.errs) > 10*maxReportedErrors {
			c.errs = sortErrors(c.errs, maxReportedErrors)
		}
	}
	for _, items := range b.parts {
		if err := c.write(b, items); err != nil {
			return err
		}
	}
	c.rowsDone.Add(t.rowsRead)
	return nil
}

// write acts on the dedupers' verdicts for items.
func (c *collector) write(b *batch, items []item) error {
	for _, it := range items {
		line := b.lines[it.start : it.start+int32(it.length)]
		switch it.verdict {
		case verdictSpill:
			// The key's shard has reached the memory budget: its new keys
			// are deduplicated on disk, after the input ends.
			if c.spill == nil {
				var err error
				if c.spill, err = newSpill(c.plan.OutDir); err != nil {
					return err
				}
			}
			if err := c.spill.Add(it.key, it.stream, line); err != nil {
				return err
			}
		case verdictDuplicate:
			c.duplicates[it.stream]++
		default:
			if err := c.sets[it.stream].WriteLine(line); err != nil {
				return err
			}
		}
	}
	return nil
}

// drainSpill writes the lines that overflowed the memory budget, once each.
func (c *collector) drainSpill(ctx context.Context) error {
	if c.spill == nil {
		return nil
	}
	// Spilled keys belong to full shards, which took no key after they
	// filled: the drain does not need the set, so its memory goes first.
	c.dedupers.release()
	n := 0
	err := c.spill.Drain(func(stream uint8, line []byte) error {
		if n++; n%65536 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		return c.sets[stream].WriteLine(line)
	}, func(stream uint8) { c.duplicates[stream]++ })
	if err != nil {
		return err
	}
	return c.spill.Remove()
}

// finish closes every file set and gives the files their final names.
func (c *collector) finish(ctx context.Context) ([]File, error) {
	var files []File
	for i, s := range c.sets {
		f, err := s.Finish(ctx)
		if err != nil {
			return nil, err
		}
		for j, x := range f {
			if mp := c.plan.meta; mp != nil && i == int(mp.stream) {
				c.metaRowsWritten += x.Rows
				f[j] = metaFile(mp, x)
				continue
			}
			c.rowsWritten += x.Rows
		}
		files = append(files, f...)
	}
	return files, nil
}

// planParts raises the part size of each file set, before its first line,
// when the input would otherwise need more parts than TikTok takes. The
// rows expected are those the dedup set was sized for (expectRows: the
// Parquet footers' count, or the size scaled by the first chunk's bytes per
// record and compression ratio), and each row counts as if every mapped
// value were valid and new (an upper bound): too large a part size costs
// nothing, too small a one costs a repack at the end (fileSet.repack), which
// also covers inputs of unknown size.
func (c *collector) planParts() {
	c.planned = true
	p := c.plan
	rows := c.dedupers.expectKeys.Load() / p.keysPerRow()
	if rows <= 0 {
		return
	}
	perRow := make([]int64, len(c.sets)) // line bytes a row adds to each set, at most
	for i := range p.streamOf {
		perRow[p.streamOf[i]] += hashLineBytes
	}
	for s, set := range c.sets {
		set.planFor(rows * perRow[s])
	}
}

// hashLineBytes is what one hash adds to a line: 64 hex characters and a
// newline (separate) or a comma (combined, where the last one's place is
// taken by the newline).
const hashLineBytes = 65

// notes say what the run decided for the user, for the manifest.
func (c *collector) notes() []string {
	var out []string
	for _, s := range c.sets {
		if n := s.raised(); n != "" {
			out = append(out, n)
		}
	}
	return out
}

// close releases the dedup memory, stops the file sets' writers and closes
// the spill files; whatever was written stays for the run to publish or to
// remove with its staging folder.
func (c *collector) close() {
	c.dedupers.release()
	if c.spill != nil {
		c.spill.Remove()
	}
	for _, s := range c.sets {
		s.abandon()
	}
}

func (c *collector) counters(elapsed time.Duration) Counters {
	types := map[string]*TypeCounters{}
	if c.plan.tiktok { // else nothing was normalized by TikTok's rules
		c.tiktok.into(types, func(i int) string { return c.plan.Mappings[i].Type.String() })
	}
	out := Counters{
		RowsRead:        c.rowsRead,
		Malformed:       c.malformed,
		MalformedErrors: sortErrors(c.errs, maxReportedErrors),
		NoIdentifier:    c.noIdentifier,
		RowsWritten:     c.rowsWritten,
		Types:           types,
		ElapsedSeconds:  elapsed.Seconds(),
	}
	for s, n := range c.duplicates {
		if mp := c.plan.meta; mp != nil && s == int(mp.stream) {
			continue // Meta's: metaCounters
		}
		if c.plan.layout == LayoutCombined {
			out.DuplicateRows += n
		} else {
			typeCounter(types, c.plan.streams[s].typeName).Duplicate += n
		}
	}
	if secs := elapsed.Seconds(); secs > 0 {
		out.RowsPerSecond = float64(c.rowsRead) / secs
	}
	return out
}
