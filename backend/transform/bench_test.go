package transform

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/destination"
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

// BenchmarkRunWithMeta measures what Meta's rows add to a run (combined
// layout, four columns): TikTok alone, both in one pass, Meta alone.
func BenchmarkRunWithMeta(b *testing.B) {
	input := generate(b, 200000)
	src, _ := inputs.LocalFile(input)
	for _, c := range []struct {
		name  string
		dests []destination.Platform
	}{{"tiktok", nil}, {"tiktok+meta", []destination.Platform{destination.TikTok, destination.Meta}}, {"meta", []destination.Platform{destination.Meta}}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(src.Size)
			for i := range b.N {
				out := filepath.Join(b.TempDir(), "out", string(rune('a'+i%26)))
				if _, err := Run(context.Background(), Options{Source: src, Mappings: allMappings(b), OutDir: out, Layout: LayoutCombined, Destinations: c.dests}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(200000*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
