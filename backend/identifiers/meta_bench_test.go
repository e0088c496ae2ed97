package identifiers

import "testing"

// BenchmarkMetaNormalize measures Meta's per-value cost (normalize +
// SHA-256, or for MADID the canonical text) for each key.
func BenchmarkMetaNormalize(b *testing.B) {
	cases := []struct {
		key     MetaKey
		in      string
		country string
	}{
		{MetaEmail, " Jane.Doe+shopping@Gmail.com ", ""},
		{MetaPhone, "(613)-444-4444", ""},
		{MetaPhone, "0044 20 7183 8750", ""},
		{MetaMADID, "918F1D4F-D195-4A8B-AF47-44683FE11DB9", ""},
		{MetaFN, "Anne-Marie", ""},
		{MetaCT, "São Paulo", ""},
		{MetaST, "California", "us"},
		{MetaZIP, "90210-1234", "us"},
		{MetaCountry, "U.S.", ""},
		{MetaDOBM, "3", ""},
		{MetaGen, "Female", ""},
	}
	for _, tc := range cases {
		b.Run(tc.key.SchemaName()+"/"+tc.in, func(b *testing.B) {
			n, err := NewMetaNormalizer("US")
			if err != nil {
				b.Fatal(err)
			}
			raw := []byte(tc.in)
			if r := n.NormalizeIn(tc.key, raw, tc.country); r.Status == Rejected {
				b.Fatalf("%q rejected: %s", tc.in, r.Reason)
			}
			b.ReportAllocs()
			for b.Loop() {
				n.NormalizeIn(tc.key, raw, tc.country)
			}
		})
	}
}
