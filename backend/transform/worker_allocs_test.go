package transform

import (
	"bytes"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/inputs"
	"github.com/audience-uploader/audience-uploader/backend/records"
	"github.com/audience-uploader/audience-uploader/backend/sampledata"
)

// TestWorkerDoesNotAllocatePerRow guards the transform's hot loop: once a
// batch's buffers have grown, extracting, normalizing, hashing and filing
// the lines of a chunk of sample rows (invalid values and bad rows
// included) takes no heap allocation per row, in either layout: only the
// report of the chunk's one bad row allocates (its error, a few objects).
func TestWorkerDoesNotAllocatePerRow(t *testing.T) {
	var data bytes.Buffer
	if _, err := sampledata.WriteJSONL(&data, sampledata.Options{Rows: chunkRecords, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	data.WriteString("{\"email\":\n") // a bad row: its error report allocates
	input := generate(t, 10)
	src, _ := inputs.LocalFile(input)
	for _, layout := range []Layout{LayoutCombined, LayoutSeparate} {
		p, err := newPlan(Options{Source: src, Mappings: allMappings(t), OutDir: t.TempDir(), Layout: layout})
		if err != nil {
			t.Fatal(err)
		}
		rd, err := records.Open(bytes.NewReader(data.Bytes()), records.Options{Name: "sample.jsonl"})
		if err != nil {
			t.Fatal(err)
		}
		ex, err := rd.NewExtractor(p.columns())
		if err != nil {
			t.Fatal(err)
		}
		b := &batch{chunk: &records.Chunk{}, extract: []*records.Extractor{ex}}
		if err := rd.NextChunk(b.chunk, chunkRecords+1); err != nil {
			t.Fatal(err)
		}
		dd := newDedupers(2, 1<<20)
		w, err := newWorker(0, p, dd)
		if err != nil {
			t.Fatal(err)
		}
		w.process(b)
		if b.tally.rowsRead != chunkRecords+1 || b.tally.malformed != 1 || len(b.tally.tiktok.invalid) == 0 {
			t.Fatalf("%s: the chunk is not the sample: %d rows, %d malformed, %d kinds of invalid values",
				layout, b.tally.rowsRead, b.tally.malformed, len(b.tally.tiktok.invalid))
		}
		if got := testing.AllocsPerRun(5, func() { w.process(b) }); got > 4 {
			t.Errorf("%s: %.0f allocations per chunk of %d rows, want at most 4 (the bad row's error)", layout, got, chunkRecords+1)
		}
	}
}
