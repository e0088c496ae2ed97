package identifiers

import "testing"

// TestNormalizeDoesNotAllocate guards the per-value path of the transform:
// normalizing and hashing a value of each type, on the fast paths, takes no
// heap allocation (tens of millions of values per run). libphonenumber's
// Parse, the fallback for unusual phones, is the exception.
func TestNormalizeDoesNotAllocate(t *testing.T) {
	for _, tc := range []struct {
		typ Type
		in  string
	}{
		{Email, " UseR.0+shOp@GmaIl.Com "},
		{Email, "Élodie.Dupont@Exemple.fr"},
		{Phone, "(686) 827-7965"},
		{Phone, "+44 (20) 7386-9578"},
		{Phone, "+33 6 99 22 46 23"},
		{IDFA, "8E424E03-A5AC-A074-AF05-757BAAFA7B1B"},
		{GAID, "dedda421-1827-d540-cec2-87792d21b898"},
		{Email, "831f6494ad6be4fcb3a724c3d5fef22d3ceffa3c62ef3a7984e45a0ea177f982"},
		{IDFA, "1234"}, // rejected
	} {
		n := newTestNormalizer(t, "US", PhoneDigits)
		raw := []byte(tc.in)
		if got := testing.AllocsPerRun(100, func() { n.Normalize(tc.typ, raw) }); got != 0 {
			t.Errorf("Normalize(%v, %q): %.1f allocations per value, want 0", tc.typ, tc.in, got)
		}
	}
	n := newTestNormalizer(t, "US", PhoneDigits)
	if got := testing.AllocsPerRun(100, func() { n.NormalizeNumber(Phone, []byte("16134444444")) }); got != 0 {
		t.Errorf("NormalizeNumber: %.1f allocations per value, want 0", got)
	}
}
