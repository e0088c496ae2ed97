package identifiers

import (
	"regexp"
	"testing"
	"unicode/utf8"
)

var (
	metaHashCell  = regexp.MustCompile(`^[0-9a-f]{64}$`)
	metaMADIDCell = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
)

// FuzzMetaNormalize: for every key, any input either is rejected with a
// Meta reason or gives a cell Meta accepts (64 lowercase hex, or a
// lowercase MADID), its normalized text is valid UTF-8, and normalizing
// that text again gives the same cell (PHONE with a "+", as its digits
// include the country code).
func FuzzMetaNormalize(f *testing.F) {
	for _, s := range []string{"mary@example.com", "+001-800-555-1234", "O'Brien", "SW1A 1AA", "U.S.", "1985", "3",
		"Female", "AECE52E7-03EE-455A-B3C4-E57283966239", "José", "Zürich", "90210-1234", "", "\xff"} {
		for k := range MetaKeys {
			f.Add(uint8(k), s, "")
			f.Add(uint8(k), s, "gb")
		}
	}
	reasons := map[Reason]bool{}
	for _, r := range MetaReasons {
		reasons[r] = true
	}
	n, err := NewMetaNormalizer("US")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, ki uint8, in, country string) {
		k := MetaKeys[int(ki)%len(MetaKeys)]
		if country != "" && country != "us" && country != "gb" && country != "fr" {
			country = ""
		}
		r := n.NormalizeIn(k, []byte(in), country)
		if r.Status == Rejected {
			if !reasons[r.Reason] {
				t.Fatalf("%s %q: reason %q is not a Meta reason", k, in, r.Reason)
			}
			return
		}
		cell := string(AppendMetaCell(nil, k, r))
		if k.Hashed() && !metaHashCell.MatchString(cell) || !k.Hashed() && !metaMADIDCell.MatchString(cell) {
			t.Fatalf("%s %q: cell %q", k, in, cell)
		}
		if r.Status == Prehashed {
			return
		}
		if !utf8.Valid(r.Normalized) {
			t.Fatalf("%s %q: normalized %q is not UTF-8", k, in, r.Normalized)
		}
		again := string(r.Normalized)
		if k == MetaPhone {
			again = "+" + again
		}
		r2 := n.NormalizeIn(k, []byte(again), country)
		if r2.Status == Rejected || string(AppendMetaCell(nil, k, r2)) != cell {
			t.Fatalf("%s %q -> %q, again -> %s %q", k, in, r.Normalized, r2.Status, r2.Normalized)
		}
	})
}
