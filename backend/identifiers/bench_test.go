package identifiers

import "testing"

// BenchmarkNormalize measures the whole per-value cost (normalize + SHA-256).
func BenchmarkNormalize(b *testing.B) {
	cases := []struct {
		name, region string
		typ          Type
		in           string
	}{
		{"email", "US", Email, " Jane.Doe+shopping@Gmail.com "},
		{"email_unicode", "US", Email, "Élodie.Dupont@Exemple.fr"},
		{"phone_national", "US", Phone, "(613)-444-4444"},
		{"phone_international", "US", Phone, "+44 844 412 4653"},
		{"phone_cc_no_plus", "US", Phone, "16134444444"},
		{"phone_national_trunk_GB", "GB", Phone, "020 7183 8750"},
		{"phone_idd_GB", "GB", Phone, "001-234-567-8910"},
		{"phone_national_BR", "BR", Phone, "(21) 2345-6789"},
		{"phone_fallback_parse", "US", Phone, "+1 613 444 4444;1"},
		{"idfa", "US", IDFA, " 918F1D4F-D195-4A8B-AF47-44683FE11DB9 "},
		{"gaid", "US", GAID, "5f3a2b18-9c4d-4e7f-b8e2-17d3a1e69b25"},
		{"gaid_no_dashes", "US", GAID, "5f3a2b189c4d4e7fb8e217d3a1e69b25"},
		{"prehashed", "US", Email, "831f6494ad6be4fcb3a724c3d5fef22d3ceffa3c62ef3a7984e45a0ea177f982"},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			n := newTestNormalizer(b, tc.region, PhoneDigits)
			raw := []byte(tc.in)
			if r := n.Normalize(tc.typ, raw); r.Status == Rejected {
				b.Fatalf("%q rejected: %s", tc.in, r.Reason)
			}
			b.ReportAllocs()
			for b.Loop() {
				n.Normalize(tc.typ, raw)
			}
		})
	}
	b.Run("number_phone", func(b *testing.B) {
		n := newTestNormalizer(b, "US", PhoneDigits)
		raw := []byte("1.6134444444e10")
		b.ReportAllocs()
		for b.Loop() {
			n.NormalizeNumber(Phone, raw)
		}
	})
}

// BenchmarkPhoneReference is what every phone value would cost without the
// fast path: Parse + IsPossibleNumber + Format(E164).
func BenchmarkPhoneReference(b *testing.B) {
	for _, in := range []string{"(613)-444-4444", "+44 844 412 4653", "16134444444"} {
		b.Run(in, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				referencePhone(in, "US", nil)
			}
		})
	}
}
