package transform

import (
	"encoding/binary"
	"errors"
	"sync/atomic"

	"github.com/zeebo/xxh3"

	"github.com/audience-uploader/audience-uploader/backend/identifiers"
	"github.com/audience-uploader/audience-uploader/backend/records"
)

// batch carries one chunk of records to a worker and its output lines to the
// collector. Its buffers are reused from one chunk to the next.
type batch struct {
	chunk   *records.Chunk
	extract []*records.Extractor // the chunk's part's extractors, one per worker
	home    chan *batch          // the pool of the part that reads into it
	// inflation is the part's text bytes per compressed byte when the chunk
	// was read (1 uncompressed), to estimate a compressed input's rows.
	inflation float64

	lines []byte   // output lines, each ending in '\n'
	rows  []byte   // or, for Options.RowSink, binary rows
	parts [][]item // the lines' items, filed by the dedup partition that owns their key
	tally tally

	dedupsLeft atomic.Int32 // partitions yet to give their verdicts
}

// add files the line from start to the end of b.lines under the dedup
// partition that owns its key.
func (b *batch) add(dd *dedupers, key Key, start int, stream uint8) {
	part := dd.partition(key)
	b.parts[part] = append(b.parts[part], item{key: key, start: int32(start), length: uint16(len(b.lines) - start), stream: stream})
}

// item is one output line awaiting deduplication (24 bytes: tens of
// millions of them pass from workers to dedupers to the collector).
type item struct {
	key     Key
	start   int32  // the line is batch.lines[start : start+length]
	length  uint16 // at most nine hashes and their commas in a combined line
	stream  uint8
	verdict uint8 // set by the deduper that owns key
}

// tally counts what happened to the rows of one batch, per mapping.
type tally struct {
	rowsRead     int64
	malformed    int64
	errors       []*records.RecordError
	noIdentifier int64
	tiktok       valueCounts

	// By Meta's rules, when Meta is a destination.
	metaNoIdentifier int64
	meta             valueCounts
}

func (t *tally) reset(mappings int) {
	t.rowsRead, t.malformed, t.noIdentifier = 0, 0, 0
	t.errors = t.errors[:0]
	t.tiktok.reset(mappings)
	t.metaNoIdentifier = 0
	t.meta.reset(mappings)
}

func (t *tally) malformedRow(err error) {
	t.malformed++
	if len(t.errors) >= maxReportedErrors {
		return
	}
	var re *records.RecordError
	if !errors.As(err, &re) {
		re = &records.RecordError{Msg: err.Error()}
	}
	t.errors = append(t.errors, re)
}

// worker normalizes and hashes the mapped values of each record.
type worker struct {
	id       int // its extractor in each batch's part
	plan     *plan
	norm     *identifiers.Normalizer
	values   []records.Value
	combined bool
	sink     bool      // binary rows for Options.RowSink, not lines
	dedup    *dedupers // for the partition of each key
	meta     *metaWorker
}

func newWorker(id int, p *plan, dd *dedupers) (*worker, error) {
	norm, err := identifiers.NewNormalizer(identifiers.Options{Region: p.Region, PhoneFormat: p.PhoneFormat})
	if err != nil {
		return nil, &UsageError{Err: err}
	}
	w := &worker{
		id:       id,
		plan:     p,
		norm:     norm,
		values:   make([]records.Value, len(p.Mappings)),
		combined: p.layout == LayoutCombined,
		sink:     p.RowSink != nil,
		dedup:    dd,
	}
	if p.meta != nil {
		if w.meta, err = newMetaWorker(p); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// normalizeValue applies the spec's rules for each kind of JSON value.
func normalizeValue(n *identifiers.Normalizer, t identifiers.Type, v records.Value) identifiers.Result {
	switch v.Kind {
	case records.String:
		return n.Normalize(t, v.Bytes)
	case records.Number:
		return n.NormalizeNumber(t, v.Bytes)
	case records.Missing, records.Null:
		return identifiers.Result{Status: identifiers.Rejected, Reason: identifiers.ReasonEmpty}
	default:
		return identifiers.Result{Status: identifiers.Rejected, Reason: identifiers.ReasonInvalidType}
	}
}

// streamSalt separates the key spaces of the separate layout's streams, so
// one hash is deduplicated per identifier type.
func streamSalt(s uint8) uint64 { return uint64(s) * 0x9e3779b97f4a7c15 }

func (w *worker) process(b *batch) {
	maps := w.plan.Mappings
	b.lines = b.lines[:0]
	b.rows = b.rows[:0]
	if len(b.parts) != len(w.dedup.parts) {
		b.parts = make([][]item, len(w.dedup.parts))
	}
	for i := range b.parts {
		b.parts[i] = b.parts[i][:0]
	}
	t := &b.tally
	t.reset(len(maps))
	c := b.chunk
	extract := b.extract[w.id]
	for _, e := range c.Errors {
		t.malformedRow(e)
	}
	for _, sp := range c.Records {
		t.rowsRead++
		if err := extract.Extract(c.Data[sp.Start:sp.End], sp.Line, w.values); err != nil {
			t.malformedRow(err)
			continue
		}
		start, rowStart := len(b.lines), len(b.rows)
		if w.sink && w.combined {
			b.rows = append(b.rows, 0, 0) // the mask, set below
		}
		var mask uint16
		found := false
		for i, m := range maps {
			var r identifiers.Result
			if w.plan.tiktok {
				r = normalizeValue(w.norm, m.Type, w.values[i])
				t.tiktok.count(r, i)
			}
			if mp := w.plan.meta; mp != nil {
				col := mp.column[i]
				mr := w.meta.normalize(i, mp.keys[col], w.values[i], r, w.plan.tiktok)
				ok := t.meta.count(mr, i)
				switch {
				case w.plan.metaSink:
					r = mr // the sink's digests are Meta's
				case ok:
					w.meta.add(col, mp.keys[col], mr)
				}
				if !w.plan.tiktok && !w.plan.metaSink {
					continue // Meta's rows alone
				}
			}
			ok := r.Status == identifiers.Valid || r.Status == identifiers.Prehashed
			if w.sink {
				if ok {
					if w.combined {
						mask |= 1 << i
					} else {
						b.rows = append(b.rows, 0, 1)
					}
					b.rows = append(b.rows, r.Hash[:]...)
					found = true
				}
				continue
			}
			if w.combined {
				if i > 0 {
					b.lines = append(b.lines, ',')
				}
				if ok {
					b.lines = identifiers.HexHash(r.Hash, b.lines)
					found = true
				}
				continue
			}
			if ok {
				s := w.plan.streamOf[i]
				lineStart := len(b.lines)
				b.lines = identifiers.HexHash(r.Hash, b.lines)
				b.lines = append(b.lines, '\n')
				b.add(w.dedup, Key{binary.LittleEndian.Uint64(r.Hash[0:8]) ^ streamSalt(s), binary.LittleEndian.Uint64(r.Hash[8:16])}, lineStart, s)
				found = true
			}
		}
		if w.plan.tiktok || w.plan.metaSink {
			switch {
			case !found:
				b.lines, b.rows = b.lines[:start], b.rows[:rowStart]
				if w.plan.metaSink {
					t.metaNoIdentifier++
				} else {
					t.noIdentifier++
				}
			case w.sink:
				if w.combined {
					binary.BigEndian.PutUint16(b.rows[rowStart:], mask)
				}
			case w.combined:
				b.lines = append(b.lines, '\n')
				h := xxh3.Hash128(b.lines[start:])
				b.add(w.dedup, Key{h.Hi, h.Lo}, start, 0)
			}
		}
		// Meta's lines follow TikTok's finished one in the same buffer.
		if w.plan.meta != nil && !w.plan.metaSink && !w.meta.appendRows(b, w.dedup, w.plan.meta) {
			t.metaNoIdentifier++
		}
	}
}

// A combined line holds at most maxSameHeader columns of each of its three
// kinds (email, phone, MAID): their hashes and commas fit item.length.
var _ [65535 - maxSameHeader*3*65]byte
