package transform

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/inputs"
)

// BenchmarkRun measures the whole pipeline on a generated JSONL file with
// four identifier columns; rows/s = 200000 / (ns/op / 1e9).
func BenchmarkRun(b *testing.B) {
	for _, layout := range []Layout{LayoutCombined, LayoutSeparate} {
		b.Run(string(layout), func(b *testing.B) {
			input := generate(b, 200000)
			src, _ := inputs.LocalFile(input)
			b.SetBytes(src.Size)
			b.ResetTimer()
			for i := range b.N {
				out := filepath.Join(b.TempDir(), "out", string(rune('a'+i%26)))
				if _, err := Run(context.Background(), Options{Source: src, Mappings: allMappings(b), OutDir: out, Layout: layout}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(200000*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
