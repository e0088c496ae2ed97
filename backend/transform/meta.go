package transform

import (
	"slices"

	"github.com/zeebo/xxh3"

	"github.com/audience-uploader/audience-uploader/backend/destination"
	"github.com/audience-uploader/audience-uploader/backend/identifiers"
	"github.com/audience-uploader/audience-uploader/backend/records"
)

// metaPlan is how a run writes Meta's rows file: its multi-key schema and
// where each mapping's cell goes.
type metaPlan struct {
	keys   []identifiers.MetaKey // the schema: distinct keys in mapping order
	column []uint8               // column[i]: mapping i's schema column
	stream uint8                 // the dedup stream of Meta's rows, after TikTok's
}

// maxMappings bounds the mapped columns: a RowSink row's mask has 16 bits.
// TikTok's combined layout allows 9 (three of each kind); only a run for
// Meta alone can come near it.
const maxMappings = 16

// planDestinations checks Options.Destinations and, with Meta among them,
// plans its schema.
func (p *plan) planDestinations() error {
	dests := p.Destinations
	if len(dests) == 0 {
		dests = []destination.Platform{destination.TikTok}
	}
	seen := map[destination.Platform]bool{}
	for _, d := range dests {
		if d != destination.TikTok && d != destination.Meta {
			return usageErrorf("destination %q is not one of tiktok, meta", d)
		}
		if seen[d] {
			return usageErrorf("destination %s is named twice", d)
		}
		seen[d] = true
	}
	p.tiktok = seen[destination.TikTok]
	if len(p.Mappings) > maxMappings {
		return usageErrorf("%d columns are mapped: at most %d can be", len(p.Mappings), maxMappings)
	}
	if p.RowSink != nil && len(dests) > 1 {
		return usageErrorf("the list's rows can be handed over for one destination at a time, not for %d", len(dests))
	}
	if !seen[destination.Meta] {
		return nil
	}
	if _, err := identifiers.NewMetaNormalizer(p.Region); err != nil {
		return &UsageError{Err: err}
	}
	mp := &metaPlan{}
	for _, m := range p.Mappings {
		k := identifiers.MetaKeyFor(m.Type)
		if k == 0 {
			return usageErrorf("column %q: Meta has no key for identifier type %s", records.SafeColumnName(m.Column), m.Type)
		}
		if p.RowSink != nil && !k.Hashed() {
			return usageErrorf("column %q is mapped to %s: a sync to Meta keeps only hashes, and Meta takes mobile advertiser IDs unhashed: sync the e-mail and phone columns to Meta, and upload the mobile IDs with a one-off upload", records.SafeColumnName(m.Column), m.Type)
		}
		col := slices.Index(mp.keys, k)
		if col < 0 {
			col = len(mp.keys)
			mp.keys = append(mp.keys, k)
		}
		mp.column = append(mp.column, uint8(col))
	}
	p.meta = mp
	p.metaSink = p.RowSink != nil
	return nil
}

// schema is the Meta schema's key names.
func (mp *metaPlan) schema() []string {
	out := make([]string, len(mp.keys))
	for i, k := range mp.keys {
		out[i] = k.SchemaName()
	}
	return out
}

// metaWorker is a worker's Meta side: its normalizer and the cells of the
// row being built.
type metaWorker struct {
	norm *identifiers.MetaNormalizer
	// reuse[i]: mapping i's value may take TikTok's result when TikTok
	// accepted it (see reusable).
	reuse []bool
	cells []metaCell // the row's valid cells, in mapping order
	buf   []byte     // their text
}

type metaCell struct {
	column     uint8
	start, end int32 // in metaWorker.buf
}

func newMetaWorker(p *plan) (*metaWorker, error) {
	norm, err := identifiers.NewMetaNormalizer(p.Region)
	if err != nil {
		return nil, &UsageError{Err: err}
	}
	mw := &metaWorker{norm: norm, reuse: make([]bool, len(p.Mappings))}
	for i, m := range p.Mappings {
		// A phone in E.164 digits is what Meta wants (country code, no "+"):
		// TikTok's digits form runs the same libphonenumber path with the
		// same region, so its hash is Meta's for the values reusable admits.
		mw.reuse[i] = p.tiktok && m.Type == identifiers.Phone && p.PhoneFormat == identifiers.PhoneDigits
	}
	return mw, nil
}

// reusable reports whether a phone's TikTok result is Meta's too: TikTok
// accepted it and its text starts with a digit 1-9 (after ASCII blanks), so
// Meta's own international-prefix rule ("+", "(", "00") changes nothing
// and the value takes the same path. Anything else is normalized by Meta's
// normalizer (a cross-check test holds the two to the same answers).
func reusable(tk identifiers.Result, v records.Value) bool {
	if tk.Status != identifiers.Valid || v.Kind != records.String {
		return false
	}
	for _, c := range v.Bytes {
		switch {
		case c == ' ' || c == '\t':
			continue
		case c >= '1' && c <= '9':
			return true
		}
		return false
	}
	return false
}

// normalize is mapping i's value by Meta's rules; tk is TikTok's result for
// it when the run computed one (haveTK).
func (mw *metaWorker) normalize(i int, k identifiers.MetaKey, v records.Value, tk identifiers.Result, haveTK bool) identifiers.Result {
	if haveTK && mw.reuse[i] && reusable(tk, v) {
		return tk
	}
	switch v.Kind {
	case records.String, records.Number:
		// A JSON number is its text: an integral phone number reads the same.
		return mw.norm.Normalize(k, v.Bytes)
	case records.Missing, records.Null:
		return identifiers.Result{Status: identifiers.Rejected, Reason: identifiers.ReasonEmpty}
	}
	return identifiers.Result{Status: identifiers.Rejected, Reason: identifiers.ReasonInvalidType}
}

// add keeps a valid cell of column col, once per row: a value repeated in
// two columns of one key is one cell.
func (mw *metaWorker) add(col uint8, k identifiers.MetaKey, r identifiers.Result) {
	start := len(mw.buf)
	mw.buf = identifiers.AppendMetaCell(mw.buf, k, r)
	cell := mw.buf[start:]
	for _, c := range mw.cells {
		if c.column == col && string(mw.buf[c.start:c.end]) == string(cell) {
			mw.buf = mw.buf[:start]
			return
		}
	}
	mw.cells = append(mw.cells, metaCell{column: col, start: int32(start), end: int32(len(mw.buf))})
}

// appendRows appends the row's Meta lines to b.lines and files each for
// deduplication: one line holding each key's first value, and, where a key
// had more values, further lines with the next ones ("" elsewhere), so no
// value is lost and no line mixes two values of one key. It reports
// whether there was any line.
func (mw *metaWorker) appendRows(b *batch, dd *dedupers, mp *metaPlan) bool {
	if len(mw.cells) == 0 {
		return false
	}
	for nth := 0; ; nth++ {
		start := len(b.lines)
		any := false
		for col := range mp.keys {
			if col > 0 {
				b.lines = append(b.lines, '\t')
			}
			if c, ok := mw.nthCell(uint8(col), nth); ok {
				b.lines = append(b.lines, mw.buf[c.start:c.end]...)
				any = true
			}
		}
		if !any {
			b.lines = b.lines[:start]
			break
		}
		b.lines = append(b.lines, '\n')
		h := xxh3.Hash128(b.lines[start:])
		b.add(dd, Key{h.Hi ^ streamSalt(mp.stream), h.Lo}, start, mp.stream)
	}
	mw.cells, mw.buf = mw.cells[:0], mw.buf[:0]
	return true
}

func (mw *metaWorker) nthCell(col uint8, nth int) (metaCell, bool) {
	for _, c := range mw.cells {
		if c.column == col {
			if nth == 0 {
				return c, true
			}
			nth--
		}
	}
	return metaCell{}, false
}

// metaCounters adds up the Meta tallies into the manifest's counters.
func (c *collector) metaCounters() *PlatformCounters {
	mp := c.plan.meta
	if mp == nil {
		return nil
	}
	pc := &PlatformCounters{Schema: mp.schema(), Keys: map[string]*TypeCounters{}, NoIdentifier: c.metaNoIdentifier,
		DuplicateRows: c.duplicates[mp.stream], RowsWritten: c.metaRowsWritten}
	c.meta.into(pc.Keys, func(i int) string { return mp.keys[mp.column[i]].SchemaName() })
	return pc
}

// metaFile is the manifest's entry for the rows file.
func metaFile(mp *metaPlan, f File) File {
	f.Path, f.Platform, f.Schema = MetaRowsName, destination.Meta, mp.schema()
	return f
}
